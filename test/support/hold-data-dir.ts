// Child process for tests: opens an engine on a data directory, says "ready", and keeps
// it until killed. With "churn" it also writes checkpoints as fast as it can, so a
// kill -9 lands in the middle of store transactions.
import { Engine } from '../../electron/engine/engine';

const [dataDir, mode] = process.argv.slice(2);
const engine = Engine.open({ dataDir: dataDir!, command: 'hold-data-dir' });
if (mode === 'churn') {
  const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/x', dir: dataDir! });
  let offset = 0;
  const churn = (): void => {
    for (let i = 0; i < 200; i++) {
      offset += 1;
      engine.store.checkpoint(record.id, { offset, blocks: [[offset, 'f'.repeat(64)]], tailDigest: null }, {}, Date.now());
    }
    setImmediate(churn);
  };
  churn();
}
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
