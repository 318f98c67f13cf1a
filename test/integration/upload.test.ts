import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine, tempDir } from '../support/harness';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

/** Uploads (issue 4): a tus 1.0 client against real tus servers with faults in front. */
const UNTIL_ENDED = path.join(__dirname, '..', 'support', 'upload-until-ended.js');

function sourceFile(size: number, seed: number, name = `up-${seed}.bin`): { file: string; body: Buffer } {
  const body = randomBytesOf(size, seed);
  const file = path.join(tempDir('src-'), name);
  fs.writeFileSync(file, body);
  return { file, body };
}

/**
 * Starts an upload of `file` under a bandwidth limit and quits (closes the engine) once
 * `bytes` are on their way: what a second engine on `dataDir` then continues.
 */
async function quitPartWay(endpoint: string, file: string, bytes: number, bandwidth: number): Promise<{ dataDir: string; id: string; state: string }> {
  const dataDir = tempDir();
  const first = openEngine(dataDir, undefined, {}, { limits: { bandwidth } });
  const { record } = first.engine.addUpload({ source: file, url: endpoint });
  const running = first.engine.run(record.id);
  while ((first.engine.progress(record.id)?.bytes ?? 0) < bytes) await new Promise((r) => setTimeout(r, 5));
  await first.engine.close();
  return { dataDir, id: record.id, state: (await running).state };
}

for (const kind of ['tus-server', 'uploadx'] as const) {
  describe(`uploads to ${kind === 'tus-server' ? '@tus/server + @tus/file-store' : '@uploadx/core (checksum extension)'}`, () => {
    let server: TusTestServer;
    before(async () => {
      server = await startTusServer(kind);
    });
    after(async () => {
      await server.stop();
    });

    test('a file arrives byte-identical, created once; the verdict says how it was proven', async () => {
      const { file, body } = sourceFile(9 << 20, kind === 'uploadx' ? 1 : 2);
      server.log.length = 0;
      server.inject(() => null);
      const t = openEngine();
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.equal(done.sha256, sha256(body));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 1);
      if (kind === 'uploadx') {
        assert.deepEqual(done.integrity, { status: 'verified', algorithm: 'sha256', expected: null, actual: null, source: 'tus-checksum' });
        assert.ok(server.log.filter((r) => r.method === 'PATCH').every((r) => r.checksum?.startsWith('sha256 ')));
      } else {
        assert.deepEqual(done.integrity, { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256(body), source: null });
      }
    });

    test('a small file goes in the creation request itself (creation-with-upload): one request', async () => {
      const { file, body } = sourceFile(300_000, 3);
      server.log.length = 0;
      server.inject(() => null);
      const t = openEngine();
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.deepEqual(server.log.map((r) => r.method), ['OPTIONS', 'POST']);
      if (kind === 'uploadx') assert.match(server.log[1]!.checksum!, /^sha256 /);
    });

    test('a small upload said to be finished is on record as finished, even when the process is killed at that moment', async () => {
      // Eight at once, so completions share the store's batch (upload-task.ts completeWith):
      // none may be said before its batch is written.
      const sources = Array.from({ length: 8 }, (_, i) => sourceFile(16 << 10, 40 + i));
      const dataDir = tempDir();
      server.inject(() => null);
      const child = spawn(process.execPath, [UNTIL_ENDED, dataDir, server.endpoint, ...sources.map((s) => s.file)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const [, signal] = (await new Promise((resolve) => child.once('exit', (...args) => resolve(args)))) as [number | null, string | null];
      assert.equal(signal, 'SIGKILL', `the child ended without a finished upload: ${out}`);
      const said = JSON.parse(out.trim()) as { id: string; state: string };
      assert.equal(said.state, 'completed');
      const t = openEngine(dataDir);
      const record = t.engine.store.get(said.id)!;
      const history = t.engine.store.history(said.id);
      await t.engine.close();
      assert.equal(record.state, 'completed');
      assert.equal(record.sha256, sha256(sources.find((s) => s.file === record.source)!.body));
      assert.ok(history.some((h) => h.kind === 'complete'), 'its completion is in its history');
    });

    test('uploads that start together ask for the server\'s capabilities once', async () => {
      const sources = Array.from({ length: 8 }, (_, i) => sourceFile(4 << 10, 60 + i));
      server.log.length = 0;
      server.inject(() => null);
      const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 8, maxPerHost: 8 } });
      const added = await t.engine.addUploads(sources.map((s) => ({ source: s.file, url: server.endpoint })));
      const done = await t.engine.runAll(added.map((a) => a.record.id));
      await t.engine.close();
      assert.ok(done.every((r) => r.state === 'completed'), JSON.stringify(done.map((r) => r.error)));
      assert.deepEqual(server.log.map((r) => r.method), ['OPTIONS', ...sources.map(() => 'POST')]);
    });

    test('a connection dropped in the middle of a PATCH resumes from the offset HEAD reports', async () => {
      const { file, body } = sourceFile(9 << 20, 10);
      server.log.length = 0;
      server.inject((method, nth) => (method === 'PATCH' && nth === 0 ? { dropAfterBytes: 1 << 20 } : null));
      const t = openEngine();
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 1, 'one creation');
      assert.ok(server.log.some((r) => r.method === 'HEAD'), 'the offset was asked for');
    });

    test('an upload the server forgot (404) starts again as a new upload and ends identical', async () => {
      const { file, body } = sourceFile(5 << 20, 11);
      server.log.length = 0;
      server.inject((method, nth) => (method === 'PATCH' && nth === 0 ? { status: 404 } : null));
      const t = openEngine();
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      const history = t.engine.store.history(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 2);
      assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /no longer has the upload \(404\)/);
    });

    test('an expired upload (Upload-Expires in the past) starts again', async () => {
      const { file, body } = sourceFile(5 << 20, 12);
      server.log.length = 0;
      server.inject(() => null);
      const { dataDir, id } = await quitPartWay(server.endpoint, file, 1 << 20, 4 << 20);
      server.inject((method) => (method === 'HEAD' ? { status: 410 } : null));
      const second = openEngine(dataDir);
      const done = await second.engine.run(id);
      await second.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 2);
    });

    test('a server that stops answering is caught by the stall watchdog and the upload resumes', async () => {
      const { file, body } = sourceFile(5 << 20, 13);
      server.log.length = 0;
      server.inject((method, nth) => (method === 'PATCH' && nth === 0 ? { stall: true } : null));
      const t = openEngine(undefined, undefined, { stallTimeoutMs: 400 });
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      const history = t.engine.store.history(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.ok(history.some((h) => h.kind === 'retry' && (h.detail.error as { code: string }).code === 'stalled'));
    });

    test('quit and run again: the same upload continues with HEAD and PATCH, created once', async () => {
      const { file, body } = sourceFile(9 << 20, 14);
      server.log.length = 0;
      server.inject(() => null);
      const { dataDir, id, state } = await quitPartWay(server.endpoint, file, 5 << 20, 8 << 20);
      assert.equal(state, 'queued');
      const second = openEngine(dataDir);
      const again = second.engine.addUpload({ source: file, url: server.endpoint });
      assert.equal(again.existing, true, 'the same upload, not a duplicate');
      const done = await second.engine.run(id);
      await second.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 1);
      const afterHead = server.log.slice(server.log.findIndex((r) => r.method === 'HEAD'));
      assert.ok(afterHead.find((r) => r.method === 'PATCH')!.offset! > 0, 'the PATCH continued from the server offset');
      assert.equal(done.resumes, 1);
    });

    test('a source changed in the part already sent: the old upload is terminated and the new content uploaded', async () => {
      const { file } = sourceFile(9 << 20, 15);
      server.log.length = 0;
      server.inject(() => null);
      // Past the first 4 MiB chunk, so the server holds the first block whatever its chunk rules.
      const { dataDir, id } = await quitPartWay(server.endpoint, file, 4.5 * 2 ** 20, 8 << 20);
      // Same size, same inode, a new byte in the first block, and the old modification time
      // put back: only the block digests of the sent part can tell.
      const st = fs.statSync(file);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.from([0x42]), 0, 1, 100);
      fs.closeSync(fd);
      fs.utimesSync(file, st.atime, st.mtime);
      const changed = fs.readFileSync(file);
      const second = openEngine(dataDir);
      const done = await second.engine.run(id);
      const history = second.engine.store.history(id);
      await second.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.ok(server.storedDigests().includes(sha256(changed)));
      assert.equal(done.sha256, sha256(changed));
      assert.equal(server.log.filter((r) => r.method === 'DELETE').length, 1, 'the old upload was terminated');
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 2);
      assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /block 0 .* differs from what was already uploaded/);
    });
  });
}

describe('what a tus server can answer on resume (@tus/server behind the injector)', () => {
  let server: TusTestServer;
  before(async () => {
    server = await startTusServer('tus-server');
  });
  after(async () => {
    await server.stop();
  });

  /** Starts an upload, quits part-way, and returns what a second engine needs to go on. */
  async function interrupted(seed: number, size = 9 << 20): Promise<{ file: string; body: Buffer; dataDir: string; id: string }> {
    const { file, body } = sourceFile(size, seed);
    const { dataDir, id } = await quitPartWay(server.endpoint, file, 3 << 20, 8 << 20);
    return { file, body, dataDir, id };
  }

  test('a 409 (offset conflict) makes the client ask the offset again and go on from there', async () => {
    const { body, dataDir, id } = await interrupted(30);
    server.log.length = 0;
    server.inject((method, nth) => (method === 'PATCH' && nth === 0 ? { status: 409 } : null));
    const t = openEngine(dataDir);
    const done = await t.engine.run(id);
    await t.engine.close();
    server.inject(() => null);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.ok(server.storedDigests().includes(sha256(body)));
    const methods = server.log.map((r) => r.method);
    assert.deepEqual(methods.slice(methods.indexOf('PATCH'), methods.indexOf('PATCH') + 3), ['PATCH', 'HEAD', 'PATCH']);
    assert.equal(methods.filter((m) => m === 'POST').length, 0, 'the same upload went on');
  });

  test('a server that answers 409 to every PATCH: retries spaced by the backoff, a cap, and a final error that says so', async () => {
    const { file } = sourceFile(5 << 20, 33);
    server.log.length = 0;
    server.inject((method) => (method === 'PATCH' ? { status: 409 } : null));
    // A visible backoff: 200 ms, 400 ms, 800 ms, 1.6 s before attempts 2 to 5, each with
    // jitter between half and all of it.
    const t = openEngine(undefined, undefined, { retryBaseDelayMs: 200, retryMaxDelayMs: 5_000, maxAttemptsWithoutProgress: 5 });
    const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
    const outcome = await Promise.race([t.engine.run(record.id), new Promise<null>((r) => setTimeout(() => r(null), 30_000).unref())]);
    await t.engine.close();
    server.inject(() => null);
    assert.ok(outcome, 'the upload ended by itself within 30 s');
    const patches = server.log.filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 5, `one PATCH per attempt, five attempts (${patches.length})`);
    for (let i = 1; i < patches.length; i++) {
      const gap = patches[i]!.at - patches[i - 1]!.at;
      const floor = (200 * 2 ** (i - 1)) / 2;
      assert.ok(gap >= floor - 5, `PATCH ${i + 1} came ${gap} ms after the one before; the backoff asks at least ${floor} ms`);
    }
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error?.status, 409);
    assert.match(outcome.error!.message, /409/);
    assert.match(outcome.error!.message, /tried 5 times/);
    assert.doesNotMatch(outcome.error!.message, /will resume|will try again/i);
    assert.equal(server.log.filter((r) => r.method === 'POST').length, 1, 'the same upload all along');
  });

  test('a server that loses every upload (404 to every PATCH): a few new uploads, then a failure that says so', async () => {
    const { file } = sourceFile(3 << 20, 34);
    server.log.length = 0;
    server.inject((method) => (method === 'PATCH' ? { status: 404 } : null));
    const t = openEngine(undefined, undefined, { maxRestarts: 3 });
    const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
    const outcome = await Promise.race([t.engine.run(record.id), new Promise<null>((r) => setTimeout(() => r(null), 30_000).unref())]);
    await t.engine.close();
    server.inject(() => null);
    assert.ok(outcome, 'the upload ended by itself within 30 s');
    assert.equal(server.log.filter((r) => r.method === 'POST').length, 4, 'the first upload and three new ones');
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error?.retryable, false);
    assert.match(outcome.error!.message, /lost this upload again \(the server no longer has the upload \(404\)\) after Ferry had started it 3 times/);
  });

  test('Upload-Expires in the past on HEAD: the upload is gone, a new one starts', async () => {
    const { body, dataDir, id } = await interrupted(31);
    server.log.length = 0;
    const past = new Date(Date.now() - 60_000).toUTCString();
    server.inject((method, nth) => (method === 'HEAD' && nth === 0 ? { status: 200, headers: { 'upload-offset': '0', 'upload-expires': past } } : null));
    const t = openEngine(dataDir);
    const done = await t.engine.run(id);
    const history = t.engine.store.history(id);
    await t.engine.close();
    server.inject(() => null);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.ok(server.storedDigests().includes(sha256(body)));
    assert.equal(server.log.filter((r) => r.method === 'POST').length, 1);
    assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /expired/);
  });

  test('a server offset beyond what Ferry sent is explained, not guessed around', async () => {
    // 20 MiB goes in two PATCHes of at most 16 MiB: the quit comes during the first.
    const { dataDir, id } = await interrupted(32, 20 << 20);
    server.inject((method) => (method === 'HEAD' ? { status: 200, headers: { 'upload-offset': String(18 << 20), 'upload-length': String(20 << 20) } } : null));
    const t = openEngine(dataDir);
    const done = await t.engine.run(id);
    await t.engine.close();
    server.inject(() => null);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.retryable, false);
    assert.match(done.error!.message, /holds 18.0 MiB \(18,874,368 bytes\) of this upload but Ferry sent at most 16.0 MiB \(16,777,216 bytes\); something else wrote to it/);
  });
});

describe('the checksum extension (@uploadx/core)', () => {
  let server: TusTestServer;
  before(async () => {
    server = await startTusServer('uploadx');
  });
  after(async () => {
    await server.stop();
  });

  test('a chunk rejected with 460 is sent again, and the upload is still verified', async () => {
    const { file, body } = sourceFile(9 << 20, 20);
    server.inject((method, nth) => (method === 'PATCH' && nth === 1 ? { status: 460 } : null));
    const t = openEngine();
    const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
    const done = await t.engine.run(record.id);
    await t.engine.close();
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.integrity.status, 'verified');
    assert.ok(server.storedDigests().includes(sha256(body)));
    const patches = server.log.filter((r) => r.method === 'PATCH');
    assert.equal(patches[1]!.status, 460);
    assert.equal(patches[2]!.offset, patches[1]!.offset, 'the same chunk again');
  });
});

describe('a thousand small files and three large ones to @tus/server', () => {
  let server: TusTestServer;
  before(async () => {
    server = await startTusServer('tus-server');
  });
  after(async () => {
    await server.stop();
  });

  test('all arrive byte-identical, and requests in flight never pass the per-host limit', async () => {
    const dir = tempDir('many-');
    const bodies: Buffer[] = [];
    const files: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const body = randomBytesOf(16 << 10, 10_000 + i);
      const file = path.join(dir, `small-${i}.bin`);
      fs.writeFileSync(file, body);
      bodies.push(body);
      files.push(file);
    }
    for (let i = 0; i < 3; i++) {
      const body = randomBytesOf(200 << 20, 20_000 + i);
      const file = path.join(dir, `large-${i}.bin`);
      fs.writeFileSync(file, body);
      bodies.push(body);
      files.push(file);
    }
    server.maxInFlight = 0;
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 10_000 }, { limits: { maxActive: 16, maxPerHost: 4 } });
    const ids = t.engine.store.transaction(() => files.map((source) => t.engine.addUpload({ source, url: server.endpoint }).record.id));
    const started = Date.now();
    const records = await t.engine.runAll(ids);
    const seconds = (Date.now() - started) / 1000;
    const stalls = ids.flatMap((id) => t.engine.store.history(id)).filter((h) => h.kind === 'retry');
    await t.engine.close();
    assert.ok(records.every((r) => r.state === 'completed'), records.filter((r) => r.state !== 'completed').map((r) => JSON.stringify(r.error)).join('\n'));
    const stored = new Set(server.storedDigests());
    for (const body of bodies) assert.ok(stored.has(sha256(body)));
    assert.equal(server.maxInFlight, 4, `at most 4 requests at once, and the limit was used (${server.maxInFlight})`);
    assert.deepEqual(stalls, [], 'nothing stalled or was retried');
    process.stderr.write(`  1,000 x 16 KiB + 3 x 200 MiB to @tus/server in ${seconds.toFixed(1)} s, at most ${server.maxInFlight} requests in flight\n`);
  });
});
