import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine, tempDir } from '../support/harness';

const SIZE = 2 << 20;
const PAUSE_AT = 1_200_000;

/** A small file system of our own, where a full disk can really happen; null where none can be mounted. */
function smallDisk(): { dir: string; unmount: () => void } | null {
  const dir = tempDir('ferry-small-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { dir, unmount: () => execFileSync('umount', [dir], { stdio: 'ignore' }) };
}

/** Writes `file` until the disk is full. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 << 10);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

describe('a full disk (read defect: a checkpoint recorded bytes whose write failed)', () => {
  const disk = smallDisk();
  test('fails as disk-full keeping every checkpointed byte, and the same download continues from them once space is freed', { skip: disk ? false : 'mounting a small tmpfs needs root (or CAP_SYS_ADMIN); this machine cannot', timeout: 30_000 }, async () => {
    const { dir, unmount } = disk!;
    try {
      const body = randomBytesOf(SIZE, 70);
      const url = server.serve('/full/big.bin', { body, etag: '"f1"' }, [{ pauseAfter: { bytes: PAUSE_AT, ms: 400 } }]);
      const dataDir = tempDir();
      const filler = path.join(dir, 'filler');
      const first = openEngine(dataDir, dir);
      const { record: added } = first.engine.addDownload({ url, dir });
      const running = first.engine.run(added.id);
      let ended = false;
      void running.finally(() => (ended = true));
      while ((first.engine.progress(added.id)?.bytes ?? 0) < PAUSE_AT && !ended) await new Promise((r) => setTimeout(r, 5));
      assert.equal(ended, false, 'the download was still waiting for the rest of its bytes');
      // Something else takes the disk while the download waits for its next bytes: all of it
      // (bytes the download still has on their way to the disk may land first or fail), then
      // 200 KiB are given back, less than the rest of the file needs.
      fillDisk(filler);
      fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - (200 << 10)));
      const failed = await running;
      await first.engine.close();
      assert.equal(failed.state, 'failed');
      assert.equal(failed.error?.code, 'disk-full');
      assert.match(failed.error!.message, /bytes so far are kept/);
      const partial = path.join(dir, 'big.bin.ferrypart');
      const kept = fs.statSync(partial).size;
      assert.ok(failed.offset > 0, 'bytes were checkpointed');
      assert.ok(kept >= failed.offset, `the partial (${kept} bytes) holds every checkpointed byte (${failed.offset})`);
      assert.equal(sha256(fs.readFileSync(partial).subarray(0, failed.offset)), sha256(body.subarray(0, failed.offset)));

      fs.rmSync(filler);
      const second = openEngine(dataDir, dir);
      const record = await second.engine.run(added.id);
      await second.engine.close();
      assert.equal(record.state, 'completed');
      assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
      const ranges = server.requests('/full/big.bin').filter((r) => r.range);
      assert.ok(ranges.length > 0 && !ranges[0]!.range!.startsWith('bytes=0-'), `continued from its bytes (${ranges[0]?.range})`);
      assert.equal(record.restarts, 0);
    } finally {
      unmount();
    }
  });
});
