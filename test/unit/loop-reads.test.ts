/**
 * Small reads on the event loop while they come from the page cache, through the thread
 * pool for a while once one came from the disk (fs/loop-reads.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopReads, READ_ON_LOOP, SLOW_FOR_MS, SLOW_READ_MS } from '../../electron/engine/fs/loop-reads';

function clocked(): { clock: { ms: number }; reads: LoopReads } {
  const clock = { ms: 1000 };
  return { clock, reads: new LoopReads(() => clock.ms) };
}

test('small reads go on the loop, larger ones to the pool', () => {
  const { reads } = clocked();
  assert.equal(reads.onLoop(1, 16 << 10), true);
  assert.equal(reads.onLoop(1, READ_ON_LOOP), true);
  assert.equal(reads.onLoop(1, READ_ON_LOOP + 1), false);
});

test('a slow read sends that device, and only that one, to the pool for a while; then the loop tries again', () => {
  const { clock, reads } = clocked();
  reads.took(1, SLOW_READ_MS);
  assert.equal(reads.onLoop(1, 4096), true, 'a read as fast as the limit is from the cache');
  reads.took(1, SLOW_READ_MS + 0.5);
  assert.equal(reads.onLoop(1, 4096), false);
  assert.equal(reads.onLoop(2, 4096), true, 'another device is not slowed');
  clock.ms += SLOW_FOR_MS - 1;
  assert.equal(reads.onLoop(1, 4096), false);
  clock.ms += 1;
  assert.equal(reads.onLoop(1, 4096), true);
});

test('readSync times the read, also one that throws, and answers what it read', () => {
  const { clock, reads } = clocked();
  assert.equal(
    reads.readSync(() => {
      clock.ms += 3;
      return 42;
    }, 7),
    42,
  );
  assert.equal(reads.onLoop(7, 1), false, 'a 3 ms read came from the disk');
  assert.throws(() =>
    reads.readSync(() => {
      clock.ms += 0.1;
      throw new Error('EIO');
    }, 8),
  /EIO/);
  assert.equal(reads.onLoop(8, 1), true);
});
