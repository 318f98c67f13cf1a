/**
 * The desktop app's transport runs over a fetch function (Electron's net.fetch). Here it runs
 * over Node's fetch against the same real servers: a download, a resume with its overlap
 * check, a redirect chain, an encoding fetch insists on decoding, a tus upload, a stall.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FetchTransport } from '../../electron/engine/http/fetch-transport';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { download, interruptAt, openEngine, tempDir } from '../support/harness';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

const transport = (): FetchTransport => new FetchTransport((input, init) => fetch(input, init));

let server: FaultServer;
let nginx: Nginx;
let tus: TusTestServer;
const root = tempDir('ferry-www-');
const big = randomBytesOf(3 << 20, 41);
fs.writeFileSync(path.join(root, 'big.bin'), big);

before(async () => {
  if (NEEDS_NGINX) return;
  server = await new FaultServer().start();
  nginx = await startNginx(root);
  tus = await startTusServer('tus-server');
});
after(async () => {
  if (NEEDS_NGINX) return;
  await server.stop();
  await nginx.stop();
  await tus.stop();
});

describe('the fetch transport (what the desktop app uses, over net.fetch)', { skip: NEEDS_NGINX }, () => {
  test('a download from nginx ends exact', async () => {
    const t = openEngine(undefined, undefined, {}, { transport: transport() });
    const record = await download(t, nginx.url('big.bin'));
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(big));
  });

  test('an interrupted download resumes with If-Range and a matching overlap', async () => {
    const body = randomBytesOf(1 << 20, 42);
    const url = server.serve('/resume.bin', { body, etag: '"f1"' }, [{ stallAfter: 300_000 }]);
    const dataDir = tempDir();
    const dir = tempDir();
    const id = await interruptAt(openEngine(dataDir, dir, {}, { transport: transport() }), url, 300_000);
    const second = openEngine(dataDir, dir, {}, { transport: transport() });
    const record = await second.engine.run(id);
    const history = second.engine.store.history(id);
    await second.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const resume = server.requests('/resume.bin')[1]!;
    assert.equal(resume.ifRange, '"f1"');
    assert.match(resume.range ?? '', /^bytes=\d+-$/);
    assert.equal(history.find((h) => h.kind === 'resume')!.detail.overlap, 'ok');
  });

  test('redirects come back unfollowed, so the engine records the chain', async () => {
    const body = randomBytesOf(100_000, 43);
    const target = server.serve('/final.bin', { body, etag: '"r"' });
    const url = server.redirect('/start', target);
    const t = openEngine(undefined, undefined, {}, { transport: transport() });
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.deepEqual(record.urlChain, [url, target]);
    assert.equal(record.sha256, sha256(body));
  });

  test('a gzip response that fetch decodes on its own is not decoded twice, and is never resumed', async () => {
    const body = Buffer.from('Ferry '.repeat(50_000));
    const url = server.serve('/gz.txt', { body, etag: '"gz"' }, [{ gzip: true, cutAfter: 200 }, { gzip: true }]);
    const t = openEngine(undefined, undefined, {}, { transport: transport() });
    const record = await download(t, url);
    
    assert.equal(record.state, 'completed');
    assert.equal(record.encoded, true, JSON.stringify({ requests: server.requests('/gz.txt'), history: t.engine.store.history(record.id) }));
    assert.equal(server.requests('/gz.txt')[1]!.range, undefined, 'decoded bytes are never resumed by range');
    await t.engine.close();
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
  });

  test('a server that stops sending is caught by the stall watchdog and resumed', async () => {
    const body = randomBytesOf(600_000, 44);
    const url = server.serve('/stall.bin', { body, etag: '"s"' }, [{ stallAfter: 200_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 500 }, { transport: transport() });
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(server.requests('/stall.bin').length, 2);
  });

  test('a tus upload with a streamed body reaches the server intact', async () => {
    const source = path.join(tempDir(), 'up.bin');
    const body = randomBytesOf(3 << 20, 45);
    fs.writeFileSync(source, body);
    const t = openEngine(undefined, undefined, {}, { transport: transport() });
    const { record } = t.engine.addUpload({ source, url: tus.endpoint });
    const done = await t.engine.run(record.id);
    await t.engine.close();
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.ok(tus.storedDigests().includes(sha256(body)));
  });
});
