/**
 * The hash pool (electron/engine/hash/hash-pool.ts): a transfer's sessions share one thread,
 * a second thread starts for a second transfer, and plain (unshared) buffers are taken only
 * by sessions on the engine's own thread, where they are hashed in place.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { HashPool } from '../../electron/engine/hash/hash-pool';

const pool = new HashPool(2);
after(() => pool.close());
const threads = (): number => (pool as unknown as { workers: unknown[] }).workers.length;

test('a hashing thread is never given plain memory: it would hash a copy, not the bytes written later', () => {
  assert.throws(() => pool.open([{ algorithms: ['sha256'], blockSize: 0 }], [new ArrayBuffer(4096)]), /a hashing thread needs shared buffers/);
});

test('inline, plain memory is hashed in place, as written after the session opened', async () => {
  const buffer = new ArrayBuffer(4096);
  const [session] = pool.open([{ algorithms: ['sha256'], blockSize: 0 }], [buffer], { inline: true });
  const body = Buffer.from('the bytes written after open');
  Buffer.from(buffer).set(body);
  await session!.update(0, body.length);
  assert.deepEqual(await session!.final(), { sha256: createHash('sha256').update(body).digest('hex') });
});

test('one transfer\'s sessions share a thread; a second transfer gets the second thread', async () => {
  const shared = [new SharedArrayBuffer(4096)];
  const first = pool.open([{ algorithms: ['sha256'], blockSize: 0 }, { algorithms: [], blockSize: 1024 }], shared);
  assert.equal(threads(), 1);
  const second = pool.open([{ algorithms: ['sha256'], blockSize: 0 }, { algorithms: [], blockSize: 1024 }], shared);
  assert.equal(threads(), 2);
  for (const s of [...first, ...second]) s.close();
});
