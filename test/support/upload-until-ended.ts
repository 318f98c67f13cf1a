// Child process for tests: uploads the files named to a tus endpoint, all at once, and
// kills itself with SIGKILL the moment the engine says the first of them ended, after
// printing its id: what a crash right after "finished" leaves on record.
import * as fs from 'node:fs';
import { Engine } from '../../electron/engine/engine';

const [dataDir, endpoint, ...files] = process.argv.slice(2);
const engine = Engine.open({
  dataDir: dataDir!,
  command: 'upload-until-ended',
  limits: { maxActive: files.length, maxPerHost: files.length },
  onEvent: (event) => {
    if (event.type !== 'ended') return;
    fs.writeSync(1, `${JSON.stringify({ id: event.id, state: event.record.state })}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
void engine.addUploads(files.map((source) => ({ source, url: endpoint! }))).then((added) => engine.runAll(added.map((a) => a.record.id)));
