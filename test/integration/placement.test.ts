import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { TransferFailure } from '../../electron/common/errors';
import { claimFreeName } from '../../electron/engine/fs/placement';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { download, listDir, openEngine, tempDir, unwritableDir } from '../support/harness';

/** Settles within `ms`, or says the call never returned (the bug this file guards against). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still looking for a free name after ${ms} ms: it loops`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('claimFreeName: only "no such file" means free', () => {
  test('a free name is taken at once; a file or a partial under a name moves on to " (1)"', async () => {
    const dir = tempDir();
    assert.equal(await claimFreeName(dir, 'a.bin', () => true), 'a.bin');
    fs.writeFileSync(path.join(dir, 'a.bin'), 'x');
    fs.writeFileSync(path.join(dir, 'a (1).bin.ferrypart'), 'x');
    assert.equal(await claimFreeName(dir, 'a.bin', () => true), 'a (2).bin');
  });

  test('a partial the caller just found absent is not looked for again; any other partial still is (issue 13)', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'b.bin.ferrypart'), 'x'); // appeared after the caller looked: its word stands
    assert.equal(await claimFreeName(dir, 'b.bin', () => true, path.join(dir, 'b.bin.ferrypart')), 'b.bin');
    assert.equal(await claimFreeName(dir, 'b.bin', () => true, path.join(dir, 'other.ferrypart')), 'b (1).bin');
    fs.writeFileSync(path.join(dir, 'c.bin'), 'x');
    fs.writeFileSync(path.join(dir, 'c (1).bin.ferrypart'), 'x');
    assert.equal(await claimFreeName(dir, 'c.bin', () => true, path.join(dir, 'c.bin.ferrypart')), 'c (2).bin', 'the final name is always looked at');
  });

  test('a folder under a regular file (ENOTDIR) fails with not-writable naming the folder, instead of looping', async () => {
    const dir = unwritableDir();
    const claimed: string[] = [];
    const failure = await within(5000, claimFreeName(dir, 'a.bin', (c) => (claimed.push(c), true))).then(
      () => assert.fail('a name was claimed in a folder that cannot exist'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof TransferFailure, `expected a TransferFailure, got ${String(failure)}`);
    assert.equal(failure.detail.code, 'not-writable');
    assert.equal(failure.detail.retryable, false);
    assert.ok(failure.detail.message.includes(dir), failure.detail.message);
    assert.match(failure.detail.message, /ENOTDIR/);
    assert.deepEqual(claimed, []);
  });

  test('a folder the process cannot search (EACCES) fails the same way', { skip: isRoot && 'running as root, which ignores chmod 000, so EACCES cannot happen here' }, async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'inside');
    fs.mkdirSync(dir);
    fs.chmodSync(parent, 0o000);
    try {
      const failure = await within(5000, claimFreeName(dir, 'a.bin', () => true)).catch((error: unknown) => error);
      assert.ok(failure instanceof TransferFailure && failure.detail.code === 'not-writable', String(failure));
      assert.match(failure.detail.message, /EACCES/);
    } finally {
      fs.chmodSync(parent, 0o700);
    }
  });

  test('a download into a folder under a regular file fails with not-writable, and does not hang', async () => {
    const server = await new FaultServer().start();
    server.files.set('/f.bin', { body: Buffer.alloc(1000, 7), etag: '"e"' });
    const t = openEngine(undefined, unwritableDir());
    try {
      const final = await within(10_000, download(t, server.url('/f.bin')));
      assert.equal(final.state, 'failed');
      assert.equal(final.error?.code, 'not-writable');
    } finally {
      await t.engine.close();
      await server.stop();
    }
  });

  test('a download into a folder that no longer exists (a drive unplugged) fails with not-writable naming the folder, and creates nothing', async () => {
    const server = await new FaultServer().start();
    server.files.set('/small.bin', { body: Buffer.alloc(1000, 7), etag: '"s"' });
    server.files.set('/large.bin', { body: Buffer.alloc(3 << 20, 8), etag: '"l"' });
    const gone = path.join(tempDir(), 'unplugged-drive', 'Downloads');
    const t = openEngine(undefined, gone);
    try {
      for (const name of ['/small.bin', '/large.bin']) {
        const final = await within(10_000, download(t, server.url(name)));
        assert.equal(final.state, 'failed', name);
        assert.equal(final.error?.code, 'not-writable', `${name}: ${final.error?.message}`);
        assert.ok(final.error?.message.includes(gone), final.error?.message);
        assert.match(final.error!.message, /does not exist/);
      }
      assert.equal(fs.existsSync(gone), false, 'a folder on a missing drive is never made: the files would land on another disk');
    } finally {
      await t.engine.close();
      await server.stop();
    }
  });
});

describe('a name on record is claimed again when its transfer is retried', () => {
  test('a canceled download retried while another holds its old name takes a name of its own: both files are the bytes their records prove (found in review)', async () => {
    const server = await new FaultServer().start();
    try {
      const a = randomBytesOf(3 << 20, 101);
      const b = randomBytesOf(3 << 20, 202);
      // Two different files that both want the name same.bin in one folder.
      const urlA = server.serve('/a/same.bin', { body: a, etag: '"a"' }, [{ stallAfter: 200_000 }]);
      const urlB = server.serve('/b/same.bin', { body: b, etag: '"b"' }, [{ pauseAfter: { bytes: 1_200_000, ms: 1500 } }]);
      const t = openEngine(undefined, undefined, { stallTimeoutMs: 30_000 });
      const x = t.engine.addDownload({ url: urlA, dir: t.dir }).record.id;
      const running = t.engine.run(x);
      await until(() => (t.engine.progress(x)?.bytes ?? 0) >= 200_000, 'x at 200 kB');
      await t.engine.cancel([x]);
      assert.equal((await running).state, 'canceled');
      assert.equal(t.engine.store.get(x)!.name, 'same.bin', 'the canceled record keeps its name, which no longer claims it');
      // Another download takes the free name, and is held part-way (the server pauses).
      const y = t.engine.addDownload({ url: urlB, dir: t.dir }).record.id;
      const runY = t.engine.run(y);
      await until(() => (t.engine.progress(y)?.bytes ?? 0) >= 1_200_000, 'y at 1.2 MB');
      assert.equal(t.engine.store.get(y)!.name, 'same.bin');
      // The person retries the canceled one while y still writes same.bin.ferrypart.
      const retried = await t.engine.run(x);
      const doneY = await runY;
      await t.engine.close();
      assert.equal(retried.state, 'completed');
      assert.equal(doneY.state, 'completed');
      assert.notEqual(retried.path, doneY.path);
      assert.deepEqual(sha256(fs.readFileSync(retried.path!)), sha256(a), "x's file is x's bytes");
      assert.deepEqual(sha256(fs.readFileSync(doneY.path!)), sha256(b), "y's file is y's bytes");
      assert.equal(doneY.restarts, 0, 'y was never disturbed');
      assert.deepEqual(listDir(t.dir).sort(), ['same (1).bin', 'same.bin']);
    } finally {
      await server.stop();
    }
  });
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
