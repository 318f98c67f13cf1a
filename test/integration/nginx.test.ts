import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { download, openEngine, tempDir } from '../support/harness';
import { NGINX_BINARY, type Nginx, startNginx } from '../support/nginx';

const SIZE = 8 << 20;

describe('the engine against real nginx', { skip: NGINX_BINARY ? false : 'nginx is not installed (bash .ci/run installs it)' }, () => {
  let nginx: Nginx;
  let body: Buffer;
  before(async () => {
    const root = tempDir('nginx-root-');
    body = randomBytesOf(SIZE, 77);
    fs.writeFileSync(path.join(root, 'file.bin'), body);
    fs.writeFileSync(path.join(root, 'changing.bin'), body);
    // 40 MB/s so a download can be interrupted part-way on purpose.
    nginx = await startNginx(root, { limitRate: '40m' });
  });
  after(async () => {
    await nginx?.stop();
  });

  test('a plain download is exact and carries nginx\'s strong ETag', async () => {
    const t = openEngine();
    const record = await download(t, nginx.url('file.bin'));
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.match(record.etag!, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(record.ifRange, record.etag);
  });

  async function interrupted(file: string, atBytes: number) {
    const dataDir = tempDir();
    const dir = tempDir();
    const first = openEngine(dataDir, dir);
    const { record } = first.engine.addDownload({ url: nginx.url(file), dir });
    const running = first.engine.run(record.id);
    while ((first.engine.progress(record.id)?.bytes ?? 0) < atBytes) await new Promise((r) => setTimeout(r, 5));
    await first.engine.close();
    assert.equal((await running).state, 'queued');
    return { dataDir, dir, id: record.id };
  }

  test('resume after an interruption asks nginx with Range and If-Range, and ends exact', async () => {
    const { dataDir, dir, id } = await interrupted('file.bin', 3 << 20);
    const t = openEngine(dataDir, dir);
    const record = await t.engine.run(id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const resumed = nginx.log().filter((l) => l.uri === '/file.bin' && l.range);
    const last = resumed.at(-1)!;
    assert.equal(last.status, 206);
    assert.match(last.range, /^bytes=\d+-$/);
    assert.equal(last.ifRange, record.etag);
    assert.equal(record.resumes, 1);
  });

  test('a segment of the partial changed on disk between runs is fetched again by range from nginx', async () => {
    const { dataDir, dir, id } = await interrupted('file.bin', 5 << 20);
    const partial = path.join(dir, 'file.bin.ferrypart');
    const fd = fs.openSync(partial, 'r+');
    fs.writeSync(fd, Buffer.alloc(1000, 0), 0, 1000, 200_000); // inside block 3 (64 KiB blocks)
    fs.closeSync(fd);
    const t = openEngine(dataDir, dir);
    const record = await t.engine.run(id);
    const history = t.engine.store.history(id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.deepEqual(history.find((h) => h.kind === 'repair')?.detail.blocks, [3]);
    assert.ok(nginx.log().some((l) => l.range === `bytes=${3 * 65536}-${4 * 65536 - 1}` && l.status === 206));
    assert.equal(record.restarts, 0);
  });

  test('the file replaced on the server between runs: If-Range fails, nginx sends the new file whole', async () => {
    const { dataDir, dir, id } = await interrupted('changing.bin', 3 << 20);
    const next = randomBytesOf(SIZE, 78);
    const target = path.join(nginx.root, 'changing.bin');
    fs.writeFileSync(target, next);
    fs.utimesSync(target, new Date(), new Date(Date.now() + 5000)); // a new mtime, so a new ETag
    const t = openEngine(dataDir, dir);
    const record = await t.engine.run(id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(next));
    assert.equal(record.restarts, 1);
    const asked = nginx.log().filter((l) => l.uri === '/changing.bin').at(-1)!;
    assert.equal(asked.status, 200, 'nginx ignored the range because If-Range no longer matched');
  });
});
