/**
 * Block digests (electron/engine/hash/block-digest.ts): XXH3-128 for new blocks, SHA-256
 * still checked for partials recorded before, each digest saying which it is by its length.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { blockDigestOf, blockDigestsLoaded, blockHasher } from '../../electron/engine/hash/block-digest';
import { Session, mayNeedBlockHasher, verify } from '../../electron/engine/hash/hash-core';
import { tempDir } from '../support/harness';

before(() => blockDigestsLoaded());

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a new block gets XXH3-128 (the reference vectors), and peeking does not end it', () => {
  const h = blockHasher();
  h.update(Buffer.from('a'));
  assert.equal(h.peek(), blockDigestOf(Buffer.from('a'), '0'.repeat(32)));
  h.update(Buffer.from('bc'));
  assert.equal(h.digest(), '06b05ab6733a618578af5f94892f3950', 'XXH3-128("abc")');
  assert.equal(blockDigestOf(Buffer.alloc(0), '0'.repeat(32)), '99aa06d3014798d86001c324468d497f', 'XXH3-128 of nothing');
  assert.equal(blockDigestOf(Buffer.from('abc'), '0'.repeat(64)), sha256(Buffer.from('abc')), 'a 64-digit digest is SHA-256');
});

test('a session records XXH3-128 blocks and tail; a partial recorded with SHA-256 blocks is still checked, and a flipped byte in it is found', () => {
  const size = 4096;
  const body = Buffer.from(Array.from({ length: size * 3 + 1000 }, (_, i) => (i * 7) % 251));
  const session = new Session([], size, 0, []);
  session.feed(body);
  const snap = session.snapshot();
  assert.equal(snap.blocks.length, 3);
  assert.ok(snap.blocks.every(([, d]) => d.length === 32) && snap.tail?.length === 32);

  const file = path.join(tempDir('blocks-'), 'f.ferrypart');
  fs.writeFileSync(file, body);
  // Recorded by a Ferry from before: SHA-256 per block and for the tail.
  const legacy = [0, 1, 2].map((i) => sha256(body.subarray(i * size, (i + 1) * size)));
  const legacyTail = sha256(body.subarray(3 * size));
  const intact = new Session([], size, 0, []);
  assert.deepEqual(verify(intact, file, 0, body.length, legacy, legacyTail), { bad: [], short: false });
  // The tail block goes on with SHA-256, the one it was recorded with; the next block is XXH3-128.
  intact.feed(Buffer.alloc(size - 1000, 9));
  const next = intact.snapshot();
  assert.deepEqual(next.blocks, [[3, sha256(Buffer.concat([body.subarray(3 * size), Buffer.alloc(size - 1000, 9)]))]]);
  intact.feed(Buffer.alloc(10, 1));
  assert.equal(intact.snapshot().tail, blockDigestOf(Buffer.alloc(10, 1), '0'.repeat(32)));

  body.writeUInt8(body.readUInt8(size + 5) ^ 0xff, size + 5);
  fs.writeFileSync(file, body);
  assert.deepEqual(verify(new Session([], size, 0, []), file, 0, body.length, legacy, legacyTail), { bad: [1], short: false });
  // Mixed records (a session that resumed): each block with its own algorithm.
  const mixed = [legacy[0]!, blockDigestOf(body.subarray(size, 2 * size), '0'.repeat(32)), legacy[2]!];
  assert.deepEqual(verify(new Session([], size, 0, []), file, 0, 3 * size, mixed, null), { bad: [], short: false });
});

test('a session that keeps the file\'s SHA-256 from 0 takes block 0 and its tail from it (one pass for a small file); later blocks are XXH3-128, and verify checks both', () => {
  const size = 4096;
  const body = Buffer.from(Array.from({ length: size * 2 + 100 }, (_, i) => (i * 13) % 251));
  const small = new Session(['sha256'], size, 0, []);
  small.feed(body.subarray(0, 1000));
  assert.deepEqual(small.snapshot(), { offset: 1000, blocks: [], tail: sha256(body.subarray(0, 1000)) });

  const session = new Session(['sha256', 'md5'], size, 0, []);
  session.feed(body.subarray(0, 1000));
  session.feed(body.subarray(1000, size + 50)); // crosses into block 1 within one update
  session.feed(body.subarray(size + 50));
  const snap = session.snapshot();
  assert.deepEqual(snap.blocks, [
    [0, sha256(body.subarray(0, size))],
    [1, blockDigestOf(body.subarray(size, 2 * size), '0'.repeat(32))],
  ]);
  assert.equal(snap.tail, blockDigestOf(body.subarray(2 * size), '0'.repeat(32)));
  assert.equal(session.files[0]![1].digest('hex'), sha256(body), 'the file digest is whole');

  const file = path.join(tempDir('blocks-'), 'f.ferrypart');
  fs.writeFileSync(file, body);
  const digests = snap.blocks.map(([, d]) => d);
  assert.deepEqual(verify(new Session([], size, 0, []), file, 0, body.length, digests, snap.tail), { bad: [], short: false });
  body.writeUInt8(body.readUInt8(7) ^ 0xff, 7);
  fs.writeFileSync(file, body);
  assert.deepEqual(verify(new Session([], size, 0, []), file, 0, body.length, digests, snap.tail), { bad: [0], short: false });
  // A session started past 0 (a resumed stream or a segment) has no file hash to borrow from.
  assert.equal(mayNeedBlockHasher({ op: 'open', sid: 1, algorithms: ['sha256'], blockSize: size, start: size, buffers: [] }), true);
  assert.equal(mayNeedBlockHasher({ op: 'open', sid: 1, algorithms: ['sha256'], blockSize: size, start: 0, buffers: [] }), false);
  assert.equal(mayNeedBlockHasher({ op: 'open', sid: 1, algorithms: [], blockSize: size, start: 0, buffers: [] }), true);
});
