/**
 * A fresh stream hashed on the engine's thread gets the same block digests as one hashed on
 * a thread: XXH3-128 past block 0, also in a process that never loaded XXH3-128 on that
 * thread before (the desktop app's engine, whose transport does not; issue 13, found in
 * review: it got SHA-256 there, a second SHA-256 pass over every byte). node --test runs
 * each file in its own process: nothing here loads XXH3-128 before the stream opens.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { LivePartial } from '../../electron/engine/download/live-partial';
import { HashPool } from '../../electron/engine/hash/hash-pool';
import { tempDir } from '../support/harness';
import { feedStream, patternBody } from '../support/live-streams';

test('a stream on the engine\'s thread, the first thing hashed there, gets XXH3-128 block digests as a thread would', async () => {
  const dir = tempDir();
  const pool = new HashPool(2);
  const blockSize = 1 << 20;
  const body = patternBody(2 * blockSize + 123_457);
  const feed = (live: LivePartial) => feedStream(live, body);
  try {
    assert.equal(pool.takesStreamInline(), true);
    const inline = await LivePartial.fresh(pool, path.join(dir, 'a.ferrypart'), ['sha256'], blockSize, body.length);
    const threaded = await LivePartial.fresh(pool, path.join(dir, 'b.ferrypart'), ['sha256'], blockSize, body.length);
    const [a, b] = await Promise.all([feed(inline), feed(threaded)]);
    await inline.close();
    await threaded.close();
    assert.deepEqual(a, b, 'the same digests, block by block, and the same tail');
    // Block 0 is taken from the file's SHA-256; every block after it, and the tail, is XXH3-128 (32 hex digits).
    assert.deepEqual(
      a.blocks.map(([i, d]) => [i, d.length]),
      [
        [0, 64],
        [1, 32],
      ],
    );
    assert.equal(a.tail?.length, 32);
  } finally {
    await pool.close();
  }
});
