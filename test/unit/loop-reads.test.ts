/**
 * An upload's small reads on the event loop while they are quick, through the thread
 * pool for a while once one waited on the device (fs/loop-reads.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopReads, SLOW_READ_MS, SLOW_FOR_MS } from '../../electron/engine/fs/loop-reads';

function clocked(): { clock: { ms: number }; calls: LoopReads } {
  const clock = { ms: 1000 };
  return { clock, calls: new LoopReads(() => clock.ms) };
}

test('a slow call sends that key, and only that one, to the pool for a while; then the loop tries again', () => {
  const { clock, calls } = clocked();
  assert.equal(calls.isSlow(1), false);
  calls.took(1, SLOW_READ_MS);
  assert.equal(calls.isSlow(1), false, 'a call as fast as the limit is quick');
  calls.took(1, SLOW_READ_MS + 0.5);
  assert.equal(calls.isSlow(1), true);
  assert.equal(calls.isSlow(2), false, 'another device is not slowed');
  assert.equal(calls.isSlow('/downloads'), false);
  clock.ms += SLOW_FOR_MS - 1;
  assert.equal(calls.isSlow(1), true);
  clock.ms += 1;
  assert.equal(calls.isSlow(1), false);
});

test('timed times the call, also one that throws, and answers what it answered', () => {
  const { clock, calls } = clocked();
  const answer = calls.timed('/slow', () => {
    clock.ms += 3;
    return 42;
  });
  assert.equal(answer, 42);
  assert.equal(calls.isSlow('/slow'), true, 'a 3 ms call waited on the disk');
  assert.throws(
    () =>
      calls.timed('/quick', () => {
        clock.ms += 0.1;
        throw new Error('EIO');
      }),
    /EIO/,
  );
  assert.equal(calls.isSlow('/quick'), false);
  assert.throws(
    () =>
      calls.timed('/slow-failing', () => {
        clock.ms += 2;
        throw new Error('EIO');
      }),
    /EIO/,
  );
  assert.equal(calls.isSlow('/slow-failing'), true);
});
