/**
 * The free space a download checks before it writes (fs/free-space.ts): one statfs a
 * folder a second, less what the files checked since will take; only a fresh answer refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FREE_SPACE_FRESH_MS, FreeSpace } from '../../electron/engine/fs/free-space';

function disk(free: number): { asked: string[]; disk: { free: number }; clock: { ms: number }; space: FreeSpace } {
  const asked: string[] = [];
  const state = { free };
  const clock = { ms: 0 };
  const space = new FreeSpace((dir) => {
    asked.push(dir);
    if (dir === '/gone') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return state.free;
  }, () => clock.ms);
  return { asked, disk: state, clock, space };
}

test('one statfs a folder within a second, each file taking its size from what is known', () => {
  const { asked, space } = disk(100_000);
  assert.equal(space.forFile('/a', 16_384), 100_000);
  assert.equal(space.forFile('/a', 16_384), 100_000 - 16_384);
  assert.equal(space.forFile('/a', 16_384), 100_000 - 2 * 16_384);
  assert.deepEqual(asked, ['/a']);
  space.forFile('/b', 1);
  assert.deepEqual(asked, ['/a', '/b'], 'each folder is its own');
});

test('a file the known space would not hold asks again, and only that fresh answer refuses it', () => {
  const { asked, disk: d, space } = disk(40_000);
  assert.equal(space.forFile('/a', 30_000), 40_000);
  d.free = 1_000_000; // space freed meanwhile
  assert.equal(space.forFile('/a', 30_000), 1_000_000, 'not refused on the old figure');
  assert.equal(asked.length, 2);
  const { space: full } = disk(5_000);
  assert.equal(full.forFile('/a', 30_000), 5_000, 'too little free: the caller refuses it');
});

test('an answer older than a second is asked again; a file system that cannot say is null', () => {
  const { asked, clock, disk: d, space } = disk(1 << 30);
  space.forFile('/a', 10);
  clock.ms += FREE_SPACE_FRESH_MS - 1;
  space.forFile('/a', 10);
  assert.equal(asked.length, 1);
  clock.ms += 1;
  d.free = 123;
  assert.equal(space.forFile('/a', 10), 123);
  assert.equal(asked.length, 2);
  assert.equal(space.forFile('/gone', 10), null);
});
