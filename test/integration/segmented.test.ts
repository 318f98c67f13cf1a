import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { listDir, openEngine, tempDir } from '../support/harness';
import { NGINX_BINARY, type Nginx, startNginx } from '../support/nginx';

/** Segmented downloads (issue 3): several connections, each range validated like a resume. */
const SIZE = 2 << 20; // 32 blocks of 64 KiB in tests
const BLOCK = 64 << 10;

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

let n = 0;
const unique = (name: string): string => `/seg/${++n}/${name}`;
/** One long request per connection, as aria2c -sN does: for tests about segment geometry. */
const ONE_PIECE = { piecesPerConnection: 1 };
const segmentRequests = (p: string) => server.requests(p).filter((r) => r.range && /^bytes=\d+-\d+$/.test(r.range));

describe('segmented downloads', () => {
  test('four connections fill four segments with closed ranges and If-Range; the result is exact', async () => {
    const body = randomBytesOf(SIZE, 1);
    const p = unique('four.bin');
    const url = server.serve(p, { body, etag: '"s1"' });
    const t = openEngine(undefined, undefined, ONE_PIECE, { limits: { maxConnections: 4 } });
    const { record: added } = t.engine.addDownload({ url, dir: t.dir });
    const record = await t.engine.run(added.id);
    const history = t.engine.store.history(added.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.sha256, sha256(body));
    assert.equal(history.find((h) => h.kind === 'start')?.detail.segments, 4);
    const ranged = segmentRequests(p);
    assert.deepEqual(ranged.slice(0, 3).map((r) => r.range), [`bytes=${SIZE / 4}-${SIZE / 2 - 1}`, `bytes=${SIZE / 2}-${(3 * SIZE) / 4 - 1}`, `bytes=${(3 * SIZE) / 4}-${SIZE - 1}`]);
    // Later ones are connections that finished early taking half of a segment still running.
    for (const r of ranged.slice(3)) assert.equal(Number(/^bytes=(\d+)-/.exec(r.range!)![1]) % BLOCK, 0, `${r.range} starts on a block boundary`);
    assert.ok(ranged.every((r) => r.ifRange === '"s1"' && r.status === 206));
    assert.deepEqual(listDir(t.dir), ['four.bin']);
  });

  test('by default connections take pieces in file order, so the run without gaps from 0 grows as they go', async () => {
    const body = randomBytesOf(SIZE, 9);
    const p = unique('pieces.bin');
    const url = server.serve(p, { body, etag: '"s9"' });
    const t = openEngine(undefined, undefined, {}, { limits: { maxConnections: 2 } });
    const { record: added } = t.engine.addDownload({ url, dir: t.dir });
    const record = await t.engine.run(added.id);
    const history = t.engine.store.history(added.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(history.find((h) => h.kind === 'start')?.detail.segments, 8, 'four pieces per connection');
    const starts = segmentRequests(p).map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
    const piece = SIZE / 8;
    assert.deepEqual(starts.slice(0, 7), [1, 2, 3, 4, 5, 6, 7].map((i) => i * piece), 'pieces were asked for in file order');
  });

  test('a weak validator or a small file is not split: one connection', async () => {
    const weak = unique('weak.bin');
    const small = unique('small.bin');
    const urls = [server.serve(weak, { body: randomBytesOf(SIZE, 2), etag: 'W/"w"' }), server.serve(small, { body: randomBytesOf(200_000, 3), etag: '"small"' })];
    const t = openEngine(undefined, undefined, {}, { limits: { maxConnections: 4 } });
    const records = await t.engine.runAll(urls.map((url) => t.engine.addDownload({ url, dir: t.dir }).record.id));
    await t.engine.close();
    assert.ok(records.every((r) => r.state === 'completed'));
    assert.equal(server.requests(weak).length, 1);
    assert.equal(server.requests(small).length, 1);
  });

  test('interrupted, then resumed: every segment continues from its checkpoint, overlap-checked', async () => {
    const body = randomBytesOf(SIZE, 4);
    const p = unique('resume.bin');
    // Every connection stops after 200 kB and stays open; the quit comes while all four hang.
    const stall = { stallAfter: 200_000 };
    const url = server.serve(p, { body, etag: '"s4"' }, [stall, stall, stall, stall]);
    const dataDir = tempDir();
    const dir = tempDir();
    const first = openEngine(dataDir, dir, { ...ONE_PIECE, stallTimeoutMs: 30_000 }, { limits: { maxConnections: 4 } });
    const { record: added } = first.engine.addDownload({ url, dir });
    const running = first.engine.run(added.id);
    const deadline = Date.now() + 10_000;
    while ((first.engine.progress(added.id)?.bytes ?? 0) < 800_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await first.engine.close();
    assert.equal((await running).state, 'queued');
    const second = openEngine(dataDir, dir, ONE_PIECE, { limits: { maxConnections: 4 } });
    const segments = second.engine.store.segments(added.id);
    assert.equal(segments.length, 4);
    assert.ok(segments.every((s) => s.position - s.start === 200_000), JSON.stringify(segments));
    const record = await second.engine.run(added.id);
    await second.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const resumed = server.requests(p).slice(4).map((r) => r.range!);
    for (const s of segments) {
      assert.ok(resumed.includes(`bytes=${s.position - 65536}-${s.end - 1}`), `segment ${s.start} asked again from 64 KiB before its checkpoint: ${resumed.join(', ')}`);
    }
    // Any other request is a connection that finished early taking half of a segment still running.
    for (const range of resumed.filter((r) => !segments.some((s) => r === `bytes=${s.position - 65536}-${s.end - 1}`))) {
      assert.equal(Number(/^bytes=(\d+)-/.exec(range)![1]) % BLOCK, 0, `${range} starts on a block boundary`);
    }
    assert.equal(record.restarts, 0);
    assert.equal(record.resumes, 1);
  });

  test('a byte flipped in a finished block of a later segment: only that block is fetched again', async () => {
    const body = randomBytesOf(SIZE, 5);
    const p = unique('flip.bin');
    const url = server.serve(p, { body, etag: '"s5"' }, [{}, {}, {}, { stallAfter: 100_000 }]);
    const dataDir = tempDir();
    const dir = tempDir();
    const first = openEngine(dataDir, dir, { ...ONE_PIECE, stallTimeoutMs: 30_000 }, { limits: { maxConnections: 4 } });
    const { record: added } = first.engine.addDownload({ url, dir });
    const running = first.engine.run(added.id);
    const deadline = Date.now() + 10_000;
    while (first.engine.store.segments(added.id).filter((s) => s.position === s.end).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await first.engine.close();
    await running;
    const flipAt = SIZE / 4 + 3 * BLOCK + 10; // block 11, inside the finished second segment
    const partial = path.join(dir, 'flip.bin.ferrypart');
    const fd = fs.openSync(partial, 'r+');
    fs.writeSync(fd, Buffer.from([body[flipAt]! ^ 0xff]), 0, 1, flipAt);
    fs.closeSync(fd);
    const asked = server.requests(p).length;
    const second = openEngine(dataDir, dir, ONE_PIECE, { limits: { maxConnections: 4 } });
    const record = await second.engine.run(added.id);
    const history = second.engine.store.history(added.id);
    await second.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.deepEqual(history.find((h) => h.kind === 'repair')?.detail.blocks, [11]);
    const ranges = server.requests(p).slice(asked).map((r) => r.range);
    assert.ok(ranges.includes(`bytes=${11 * BLOCK}-${12 * BLOCK - 1}`), `asked ${ranges.join(', ')}`);
    assert.equal(ranges.length, 2, 'the bad block and the unfinished last segment, nothing else');
  });

  test('the file changes on the server mid-way: the download restarts and ends with the new version, never a mix', async () => {
    const v1 = randomBytesOf(SIZE, 6);
    const v2 = randomBytesOf(SIZE, 7);
    const p = unique('changing.bin');
    const url = server.serve(p, { body: v1, etag: '"v1"' }, [{ stallAfter: 100_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 400 }, { limits: { maxConnections: 4 } });
    const { record: added } = t.engine.addDownload({ url, dir: t.dir });
    const running = t.engine.run(added.id);
    // Once the other three segments are done, the file is replaced; the stalled first
    // segment's resume then meets a new ETag.
    const deadline = Date.now() + 10_000;
    while (t.engine.store.segments(added.id).filter((s) => s.position === s.end).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    server.files.set(p, { body: v2, etag: '"v2"' });
    const record = await running;
    const history = t.engine.store.history(added.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(v2));
    assert.equal(record.etag, '"v2"');
    assert.equal(record.restarts, 1);
    assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /changed on the server/);
  });

  test('a checksum verifies a segmented download, and a wrong one fails with nothing under the final name', async () => {
    const body = randomBytesOf(SIZE, 8);
    const good = server.serve(unique('sum.bin'), { body, etag: '"s8"' });
    const t = openEngine(undefined, undefined, {}, { limits: { maxConnections: 3 } });
    const ok = await t.engine.run(t.engine.addDownload({ url: good, dir: t.dir, checksum: { algorithm: 'sha512', hex: sha512(body), source: 'user' } }).record.id);
    assert.equal(ok.integrity.status, 'verified');
    assert.equal(ok.integrity.algorithm, 'sha512');
    assert.equal(ok.sha256, sha256(body));
    const dir = tempDir();
    const bad = await t.engine.run(t.engine.addDownload({ url: good, dir, checksum: { algorithm: 'sha256', hex: '0'.repeat(64), source: 'user' } }).record.id);
    await t.engine.close();
    assert.equal(bad.integrity.status, 'mismatch');
    assert.deepEqual(listDir(dir), []);
  });
});

function sha512(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

describe('segmented downloads from nginx', { skip: NGINX_BINARY ? false : 'nginx is not installed (bash .ci/run installs it)' }, () => {
  let nginx: Nginx;
  let body: Buffer;
  before(async () => {
    const root = tempDir('nginx-seg-');
    body = randomBytesOf(8 << 20, 80);
    fs.writeFileSync(path.join(root, 'big.bin'), body);
    nginx = await startNginx(root, { limitRate: '8m' });
  });
  after(async () => {
    await nginx?.stop();
  });

  test('4 connections against a per-connection rate limit: exact, every range answered 206', async () => {
    const t = openEngine(undefined, undefined, {}, { limits: { maxConnections: 4 } });
    const { record: added } = t.engine.addDownload({ url: nginx.url('big.bin'), dir: t.dir });
    const record = await t.engine.run(added.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const ranged = nginx.log().filter((l) => l.uri === '/big.bin' && l.range);
    assert.ok(ranged.length >= 3, `${ranged.length} ranged requests`);
    assert.ok(ranged.every((l) => l.status === 206 && l.ifRange === record.etag));
  });
});
