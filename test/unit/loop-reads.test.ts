/**
 * An upload's small reads on the event loop while they are quick, through the thread
 * pool for a while once one waited on the device (fs/loop-reads.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { mock, test } from 'node:test';
import { LoopReads, SLOW_FOR_MS, SLOW_READ_MS, SLOW_STREAK, loopReads } from '../../electron/engine/fs/loop-reads';
import { openSource } from '../../electron/engine/upload/source';

function clocked(): { clock: { ms: number }; calls: LoopReads } {
  const clock = { ms: 1000 };
  return { clock, calls: new LoopReads(() => clock.ms) };
}

test('slow calls in a row send that key, and only that one, to the pool for a while; then the loop tries again', () => {
  const { clock, calls } = clocked();
  assert.equal(calls.isSlow(1), false);
  calls.took(1, SLOW_READ_MS);
  assert.equal(calls.isSlow(1), false, 'a call as fast as the limit is quick');
  // A thread preempted now and then makes a slow call among quick ones: the loop keeps them.
  for (let i = 1; i <= 3 * SLOW_STREAK; i++) calls.took(1, i % SLOW_STREAK === 0 ? SLOW_READ_MS : SLOW_READ_MS + 5);
  assert.equal(calls.isSlow(1), false, 'a quick call breaks the streak');
  for (let i = 0; i < SLOW_STREAK - 1; i++) calls.took(1, SLOW_READ_MS + 0.5);
  assert.equal(calls.isSlow(1), false);
  calls.took(1, SLOW_READ_MS + 0.5);
  assert.equal(calls.isSlow(1), true);
  assert.equal(calls.isSlow(2), false, 'another device is not slowed');
  assert.equal(calls.isSlow(3), false);
  clock.ms += SLOW_FOR_MS - 1;
  assert.equal(calls.isSlow(1), true);
  clock.ms += 1;
  assert.equal(calls.isSlow(1), false);
});

test('timed times the call, also one that throws, and answers what it answered', () => {
  const { clock, calls } = clocked();
  for (let i = 0; i < SLOW_STREAK; i++) {
    const answer = calls.timed(4, () => {
      clock.ms += 3;
      return 42;
    });
    assert.equal(answer, 42);
  }
  assert.equal(calls.isSlow(4), true, '3 ms calls waited on the disk');
  // A read that throws is timed too: quick on device 5, slow on device 6.
  for (const [dev, ms, slow] of [
    [5, 0.1, false],
    [6, 2, true],
  ] as const) {
    for (let i = 0; i < SLOW_STREAK; i++) {
      assert.throws(
        () =>
          calls.timed(dev, () => {
            clock.ms += ms;
            throw new Error('EIO');
          }),
        /EIO/,
      );
    }
    assert.equal(calls.isSlow(dev), slow);
  }
});

test("an upload's source reads on the loop, and through the pool once its device read slowly, the same bytes either way", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-reads-'));
  const file = path.join(dir, 'source.bin');
  const bytes = Buffer.from(Array.from({ length: 16 << 10 }, (_, i) => i % 251));
  fs.writeFileSync(file, bytes);
  // The module object itself (what source.ts's calls reach), not this file's import of it.
  const readSync = mock.method(createRequire(__filename)('node:fs') as typeof fs, 'readSync');
  const onLoop = (): number => readSync.mock.callCount();
  const source = openSource(file, null, null);
  try {
    const first = Buffer.alloc(bytes.length);
    assert.equal(await source.read(first, 0), bytes.length);
    assert.deepEqual(first, bytes);
    assert.equal(onLoop(), 1, 'a small read from the page cache is made on the loop');
    for (let i = 0; i < SLOW_STREAK; i++) loopReads.took(fs.statSync(file).dev, SLOW_READ_MS + 5);
    const second = Buffer.alloc(bytes.length);
    assert.equal(await source.read(second, 0), bytes.length);
    assert.deepEqual(second, bytes);
    assert.equal(onLoop(), 1, 'after a slow read on its device, the read went to the pool');
  } finally {
    readSync.mock.restore();
    source.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
