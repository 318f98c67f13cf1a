import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { afterNotSatisfiable, classifyRangeAnswer, judgeRangeResponse, notResumableReason, type PolicyRecord, splittable } from '../../electron/engine/download/response-policy';
import { PartialWriter, allocateBuffers } from '../../electron/engine/download/partial-writer';
import { giveBack, takeBuffer } from '../../electron/engine/download/buffer-pool';
import { LivePartial } from '../../electron/engine/download/live-partial';
import { HashPool, type HashSession } from '../../electron/engine/hash/hash-pool';
import { sampleBlocks } from '../../electron/engine/download/relink';
import { headersForOrigin, headersFromRecord } from '../../electron/engine/http/headers';
import { tempDir } from '../support/harness';
import { feedStream, patternBody } from '../support/live-streams';

const REC: PolicyRecord = { encoded: false, total: 1000, ifRange: '"v1"', etag: '"v1"', lastModified: null, userChecksum: null, serverChecksum: null };
const h = (record: Record<string, string>) => headersFromRecord(record);

describe('what an answer to a range request means (DESIGN.md section 3, rules 1-5)', () => {
  test('status alone: 206 is a range, 200 a whole file (rule 4), 416 not satisfiable (rule 5), others a status failure', () => {
    const table: Array<[number, ReturnType<typeof classifyRangeAnswer>]> = [
      [206, 'range'],
      [200, 'whole-file'],
      [416, 'not-satisfiable'],
      [403, 'status'],
      [503, 'status'],
      [304, 'status'],
    ];
    for (const [status, expected] of table) assert.equal(classifyRangeAnswer(status), expected, `HTTP ${status}`);
  });

  test('a 416 is done only when every byte of a known total is held', () => {
    assert.equal(afterNotSatisfiable(REC, 1000), 'complete');
    assert.equal(afterNotSatisfiable(REC, 999), 'restart');
    assert.equal(afterNotSatisfiable({ ...REC, total: null }, 1000), 'restart');
  });

  test('a 206 must start where asked, name the recorded total, match its length, and be the same version (rule 3)', () => {
    const ok = { 'content-range': 'bytes 500-999/1000', 'content-length': '500', etag: '"v1"' };
    const table: Array<[string, Record<string, string>, RegExp | null]> = [
      ['a good 206', ok, null],
      ['no Content-Range', { etag: '"v1"' }, /missing or malformed Content-Range/],
      ['a malformed one', { ...ok, 'content-range': 'bytes 500-999' }, /missing or malformed/],
      ['another start', { ...ok, 'content-range': 'bytes 400-999/1000', 'content-length': '600' }, /from 400, not the requested 500/],
      ['another total', { ...ok, 'content-range': 'bytes 500-1099/1100', 'content-length': '600' }, /length changed on the server/],
      ['an unknown total', { ...ok, 'content-range': 'bytes 500-999/*' }, /length changed/],
      ['a body length that disagrees', { ...ok, 'content-length': '499' }, /does not match its Content-Range/],
      ['an encoded range', { ...ok, 'content-encoding': 'gzip' }, /encoded a range/],
      ['several ranges at once', { ...ok, 'content-type': 'multipart/byteranges; boundary=x' }, /several ranges/],
      ['a new ETag', { ...ok, etag: '"v2"' }, /validator is different/],
    ];
    for (const [what, headers, reason] of table) {
      const verdict = judgeRangeResponse(REC, h(headers), 500);
      if (reason === null) assert.deepEqual(verdict, { ok: true, start: 500, end: 999 }, what);
      else {
        assert.equal(verdict.ok, false, what);
        assert.match((verdict as { reason: string }).reason, reason, what);
      }
    }
  });

  test('a server digest that changed means a changed file', () => {
    const known = { ...REC, serverChecksum: { algorithm: 'sha256' as const, hex: 'aa'.repeat(32), source: 'repr-digest' as const } };
    const other = `sha-256=:${Buffer.from('bb'.repeat(32), 'hex').toString('base64')}:`;
    const verdict = judgeRangeResponse(known, h({ 'content-range': 'bytes 0-999/1000', etag: '"v1"', 'repr-digest': other }), 0);
    assert.equal(verdict.ok, false);
  });

  test('resuming needs a strong validator or a known digest, a known length and no encoding (rules 1 and 2)', () => {
    assert.equal(notResumableReason(REC), '');
    assert.match(notResumableReason({ ...REC, encoded: true }), /encoded/);
    assert.match(notResumableReason({ ...REC, total: null }), /did not say how long/);
    assert.match(notResumableReason({ ...REC, ifRange: null }), /no strong validator/);
    const digest = { algorithm: 'sha256' as const, hex: 'aa'.repeat(32), source: 'user' as const };
    assert.equal(notResumableReason({ ...REC, ifRange: null, userChecksum: digest }), '', 'a known digest proves the joined result');
  });

  test('a fresh download is split only when it could be resumed and is worth it', () => {
    const ranges = h({ 'accept-ranges': 'bytes' });
    assert.equal(splittable(ranges, 100 << 20, false, '"v1"', 8, 4 << 20), true);
    assert.equal(splittable(ranges, 100 << 20, false, '"v1"', 1, 4 << 20), false, 'one connection asked');
    assert.equal(splittable(ranges, 100 << 20, false, null, 8, 4 << 20), false, 'no strong validator');
    assert.equal(splittable(ranges, 100 << 20, true, '"v1"', 8, 4 << 20), false, 'encoded');
    assert.equal(splittable(h({}), 100 << 20, false, '"v1"', 8, 4 << 20), false, 'no Accept-Ranges');
    assert.equal(splittable(ranges, 7 << 20, false, '"v1"', 8, 4 << 20), false, 'too small');
    assert.equal(splittable(ranges, null, false, '"v1"', 8, 4 << 20), false, 'unknown length');
  });
});

describe('headers a person gives belong to the origin of the URL they gave (root cause 1)', () => {
  const given: Array<[string, string]> = [
    ['Authorization', 'Bearer t'],
    ['Cookie', 'c=1'],
    ['X-Api-Key', 'k'],
    ['User-Agent', 'Mine/1'],
    ['Accept-Language', 'fr'],
  ];
  test('the same origin gets every header', () => {
    assert.deepEqual(Object.keys(headersForOrigin(given, new URL('https://a.example/x?y'), 'https://a.example/start')).sort(), [
      'accept-language',
      'authorization',
      'cookie',
      'user-agent',
      'x-api-key',
    ]);
  });
  test('another origin (host, port or scheme) gets only what says who asks and in which language', () => {
    for (const other of ['https://b.example/x', 'https://a.example:8443/x', 'http://a.example/x']) {
      assert.deepEqual(headersForOrigin(given, new URL(other), 'https://a.example/start'), { 'user-agent': 'Mine/1', 'accept-language': 'fr' }, other);
    }
  });
});

describe('a checkpoint never records bytes whose write failed (read defect)', () => {
  test('after a failed write, mark() rejects instead of promising the bytes are on disk', async () => {
    const file = path.join(tempDir(), 'partial');
    fs.writeFileSync(file, '');
    const fd = fs.openSync(file, 'r'); // writes to a read-only descriptor fail (EBADF)
    const pool = new HashPool(1);
    const buffers = allocateBuffers(4096);
    const [blocks] = pool.open([{ algorithms: [], blockSize: 1024 }], buffers) as [HashSession];
    const writer = new PartialWriter(fd, 0, buffers, [blocks], blocks);
    try {
      await writer.write(Buffer.alloc(2048, 1));
      const mark = writer.mark();
      await assert.rejects(mark.written, (error: NodeJS.ErrnoException) => error.code === 'EBADF');
      await assert.rejects(writer.drain());
      await mark.blocks.catch(() => undefined);
    } finally {
      blocks.close();
      fs.closeSync(fd);
      await pool.close();
    }
  });
});

describe('a write that fails after a checkpoint was marked leaves that checkpoint standing (the disk filled mid-body)', () => {
  test('mark() promises the bytes below it once they are written, whatever fails above it; drain() still fails', async () => {
    const file = path.join(tempDir(), 'partial');
    let fd = fs.openSync(file, 'w');
    const pool = new HashPool(1);
    const buffers = allocateBuffers(4096, 4096 * 4, 'pooled');
    const [blocks] = pool.open([{ algorithms: ['sha256'], blockSize: 1024 }], buffers, { inline: true }) as [HashSession];
    const writer = new PartialWriter(fd, 0, buffers, [blocks], blocks, true);
    try {
      await writer.write(Buffer.alloc(2048, 1));
      const mark = writer.mark();
      // The next write fails while the first is still being hashed: the disk, here a
      // descriptor that no longer takes writes.
      fs.closeSync(fd);
      fd = fs.openSync(file, 'r');
      await writer.write(Buffer.alloc(1000, 2));
      const drained = writer.drain();
      await assert.doesNotReject(mark.written, 'the 2,048 bytes below the mark are on disk');
      assert.equal((await mark.blocks).offset, 2048);
      await assert.rejects(drained, (error: NodeJS.ErrnoException) => error.code === 'EBADF');
      assert.equal(fs.statSync(file).size, 2048);
      await assert.rejects(writer.mark().written, 'a checkpoint marked after the failure does fail');
    } finally {
      blocks.close();
      fs.closeSync(fd);
      await pool.close();
    }
  });
});

describe('a hashing thread keeps the errno code of what failed (read defect)', () => {
  test('hashing a partial that was deleted fails with ENOENT, which a person is told about as such', async () => {
    const pool = new HashPool(1);
    const [session] = pool.open([{ algorithms: ['sha256'], blockSize: 0 }], []) as [HashSession];
    try {
      await assert.rejects(session.feedFile(path.join(tempDir(), 'gone.ferrypart'), 0, 10), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    } finally {
      session.close();
      await pool.close();
    }
  });
});

describe('small bodies are hashed on the engine\'s thread (issue 13): the same answers as a hashing thread', () => {
  test('updates, snapshots, a verify that finds a changed block, file feeds, final digests and errno codes agree, with no thread started', async () => {
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 251));
    const file = path.join(tempDir(), 'partial');
    fs.writeFileSync(file, body);
    const run = async (pool: HashPool, inline: boolean): Promise<unknown[]> => {
      const buffers = allocateBuffers(8192);
      const view = new Uint8Array(buffers[0]!);
      const [whole, blocks] = pool.open(
        [
          { algorithms: ['sha256', 'md5'], blockSize: 0 },
          { algorithms: [], blockSize: 1024 },
        ],
        buffers,
        { inline },
      ) as [HashSession, HashSession];
      view.set(body.subarray(0, 3000));
      await Promise.all([whole.update(0, 3000), blocks.update(0, 3000)]);
      const first = await blocks.snapshot();
      const rest = await blocks.feedFile(file, 3000, 5000);
      const tampered = Buffer.from(body);
      tampered[1500] = tampered[1500]! ^ 1;
      fs.writeFileSync(`${file}.t`, tampered);
      const [checker] = pool.open([{ algorithms: [], blockSize: 1024 }], [], { inline }) as [HashSession];
      const verdict = await checker.verify(`${file}.t`, 0, 5000, [...first.blocks, ...rest.blocks].map(([, d]) => d), rest.tail);
      const gone = await checker.feedFile(path.join(tempDir(), 'gone'), 0, 10).catch((error: NodeJS.ErrnoException) => error.code);
      checker.close();
      blocks.close();
      return [first, rest, verdict, gone, await whole.final()];
    };
    const threads = new HashPool(1);
    const inlinePool = new HashPool(1);
    try {
      const expected = await run(threads, false);
      assert.deepEqual(await run(inlinePool, true), expected);
      assert.deepEqual((expected[2] as { bad: number[] }).bad, [1], 'the changed byte is found in block 1');
      assert.equal((expected[4] as { sha256: string }).sha256, createHash('sha256').update(body.subarray(0, 3000)).digest('hex'));
      assert.equal(expected[3], 'ENOENT');
      assert.equal((inlinePool as unknown as { workers: unknown[] }).workers.length, 0, 'no hashing thread was started for inline sessions');
    } finally {
      await threads.close();
      await inlinePool.close();
    }
  });
});

test('relink samples the first, the middle and the last block held whole (all of them when there are three or fewer)', () => {
  assert.deepEqual(sampleBlocks([0, 1]), [0, 1]);
  assert.deepEqual(sampleBlocks([0, 1, 2, 3, 4, 5, 6]), [0, 3, 6]);
  assert.deepEqual(sampleBlocks([2, 5, 9, 11]), [2, 9, 11]);
});

test('small bodies reuse their write buffers once closed (issue 13): sizes by powers of two, old bytes never read, a closed writer refuses bytes', async () => {
  const x = takeBuffer(5000);
  assert.equal(x.byteLength, 8192);
  giveBack([x]);
  assert.equal(takeBuffer(8000), x, 'a buffer given back serves the next body of its size class');
  const big = Array.from({ length: 6 }, () => new ArrayBuffer(1 << 20));
  giveBack(big);
  const again = Array.from({ length: 6 }, () => takeBuffer(1 << 20));
  assert.ok(again.filter((b) => big.includes(b)).length <= 4, 'no more than 4 MiB is kept');

  const dir = tempDir();
  const pool = new HashPool(1);
  try {
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const first = Buffer.alloc(16384, 7);
    const a = await LivePartial.fresh(pool, path.join(dir, 'a.ferrypart'), ['sha256'], 1 << 20, first.length);
    await a.writer.write(first);
    assert.equal((await a.finalDigests()).sha256, sha(first));
    await a.close();
    await assert.rejects(a.writer.write(Buffer.from('late')), /closed/, 'a closed partial takes no bytes into buffers another file may hold');
    // The next, shorter body gets the same buffer with the first one's bytes still in it.
    const second = Buffer.from(Array.from({ length: 10000 }, (_, i) => i % 251));
    const b = await LivePartial.fresh(pool, path.join(dir, 'b.ferrypart'), ['sha256'], 1 << 20, second.length);
    await b.writer.write(second.subarray(0, 4000));
    await b.writer.write(second.subarray(4000));
    assert.equal((await b.finalDigests()).sha256, sha(second));
    await b.close();
    assert.deepEqual(fs.readFileSync(path.join(dir, 'b.ferrypart')), second);
    assert.equal((pool as unknown as { workers: unknown[] }).workers.length, 0);
  } finally {
    await pool.close();
  }
});

test('one fresh large stream hashes on the engine\'s thread, a second at once on a thread, and an existing partial is checked on a thread (issue 13): the same digests everywhere', async () => {
  const dir = tempDir();
  const pool = new HashPool(2);
  const threads = (): number => (pool as unknown as { workers: unknown[] }).workers.length;
  const inlineSessions = (): number => (pool as unknown as { inline: { sessions: number } }).inline.sessions;
  const body = patternBody((5 << 20) / 2 + 123);
  const sha = createHash('sha256').update(body).digest('hex');
  const blockSize = 1 << 20;
  const feed = (live: LivePartial): Promise<unknown> => feedStream(live, body);
  try {
    assert.equal(pool.takesStreamInline(), true);
    const a = await LivePartial.fresh(pool, path.join(dir, 'a.ferrypart'), ['sha256'], blockSize, body.length);
    assert.equal(threads(), 0, 'the first stream started no thread');
    assert.equal(pool.takesStreamInline(), false, 'a second stream at once would not hash in place');
    const b = await LivePartial.fresh(pool, path.join(dir, 'b.ferrypart'), ['sha256'], blockSize, body.length);
    assert.equal(threads(), 1, 'the second stream hashes on a thread');
    const [blocksA, blocksB] = await Promise.all([feed(a), feed(b)]);
    assert.deepEqual(blocksA, blocksB, 'block digests in place and on a thread agree');
    assert.equal((await a.finalDigests()).sha256, sha);
    assert.equal((await b.finalDigests()).sha256, sha);
    await a.close();
    await b.close();
    assert.deepEqual(fs.readFileSync(path.join(dir, 'a.ferrypart')), body, 'writes off the loop landed whole');
    assert.equal(pool.takesStreamInline(), true, 'a closed stream gives its place back');
    assert.equal(inlineSessions(), 0);

    const existing = await LivePartial.open(pool, path.join(dir, 'a.ferrypart'), ['sha256'], blockSize, body.length);
    assert.equal(inlineSessions(), 0, 'reading a partial back is a thread\'s work, even with no stream in place');
    const { blocks } = (await existing.blockHash.feedFile(existing.path, 0, body.length)) as { blocks: unknown[] };
    assert.equal(blocks.length, 2, 'two whole blocks read back');
    await existing.close();
  } finally {
    await pool.close();
  }
});
