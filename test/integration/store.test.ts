import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Engine } from '../../electron/engine/engine';
import { DataDirLockedError } from '../../electron/engine/store/database';
import { MIGRATIONS } from '../../electron/engine/store/migrations';
import { fromRow, newRecord, toRow } from '../../electron/engine/store/rows';
import type { TransferRecord } from '../../electron/common/transfer';
import { tempDir } from '../support/harness';

const HOLDER = path.join(__dirname, '..', 'support', 'hold-data-dir.js');

async function holdInChild(dataDir: string, mode = ''): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, dataDir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('the store: one SQLite file per data directory', () => {
  test('a second engine on the same data directory gets a clear error naming the holder', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir);
    try {
      assert.throws(
        () => Engine.open({ dataDir }),
        (e: unknown) => e instanceof DataDirLockedError && e.holder?.pid === child.pid && /pid \d+ .*hold-data-dir.*--data-dir/.test(e.message),
      );
    } finally {
      await kill9(child);
    }
    // kill -9 leaves no stale lock: the operating system released it with the process.
    const engine = Engine.open({ dataDir });
    await engine.close();
  });

  test('within one process too, a second engine is refused until the first closes', async () => {
    const dataDir = tempDir();
    const first = Engine.open({ dataDir });
    assert.throws(() => Engine.open({ dataDir }), DataDirLockedError);
    await first.close();
    await Engine.open({ dataDir }).close();
  });

  test('kill -9 in the middle of checkpoint transactions leaves a store that opens, at a whole checkpoint', async () => {
    for (let round = 0; round < 3; round++) {
      const dataDir = tempDir();
      const child = await holdInChild(dataDir, 'churn');
      await new Promise((r) => setTimeout(r, 150 + round * 100));
      await kill9(child);
      const engine = Engine.open({ dataDir });
      const [record] = engine.list();
      assert.ok(record && record.offset > 0, 'checkpoints were written');
      // Each checkpoint wrote block `offset` with the offset in one transaction: both or neither.
      assert.ok(engine.store.blocks(record.id).has(record.offset), 'the offset and its block digest landed together');
      assert.equal(engine.store.blocks(record.id).has(record.offset + 1), false);
      await engine.close();
    }
  });

  test('garbage appended to the WAL after a crash is ignored', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir, 'churn');
    await new Promise((r) => setTimeout(r, 200));
    await kill9(child);
    fs.appendFileSync(path.join(dataDir, 'ferry.db-wal'), Buffer.alloc(10_000, 0x5a));
    const engine = Engine.open({ dataDir });
    assert.equal(engine.list().length, 1);
    assert.equal(engine.storeDamage, null, 'a torn tail after a crash is no damage');
    await engine.close();
  });

  test('a store that is not a database is moved aside, kept, and a fresh one starts', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'ferry.db'), 'this is not sqlite '.repeat(100));
    const engine = Engine.open({ dataDir });
    assert.ok(engine.movedAsideStore);
    assert.match(fs.readFileSync(engine.movedAsideStore!, 'utf8'), /this is not sqlite/);
    assert.deepEqual(engine.list(), []);
    await engine.close();
  });

  test('the schema is versioned; a store from a newer Ferry is refused with a way out', async () => {
    const dataDir = tempDir();
    await Engine.open({ dataDir }).close();
    const db = new Database(path.join(dataDir, 'ferry.db'));
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(() => Engine.open({ dataDir }), /newer Ferry .*Update Ferry or use another --data-dir/);
  });

  test('a transfer left active by a crash comes back queued, its checkpoint intact', async () => {
    const dataDir = tempDir();
    const engine = Engine.open({ dataDir });
    const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/a', dir: dataDir });
    engine.store.checkpoint(record.id, { offset: 4096, blocks: [], tailDigest: 'ab' }, { state: 'active' }, Date.now());
    await engine.close();
    const again = Engine.open({ dataDir });
    const back = again.store.get(record.id)!;
    assert.equal(back.state, 'queued');
    assert.equal(back.offset, 4096);
    assert.equal(back.tailDigest, 'ab');
    await again.close();
  });

  test('history is bounded per transfer: the first start and the latest 200 entries are kept', async () => {
    const dataDir = tempDir();
    const engine = Engine.open({ dataDir });
    const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/flaky', dir: dataDir });
    const { record: other } = engine.addDownload({ url: 'http://127.0.0.1:9/other', dir: dataDir });
    engine.store.addHistory(record.id, 'start', { url: 'first' }, 1);
    engine.store.addHistory(other.id, 'start', { url: 'other' }, 1);
    for (let i = 0; i < 500; i++) engine.store.addHistory(record.id, i % 2 ? 'resume' : 'error', { n: i }, 2 + i);
    engine.store.addHistory(record.id, 'start', { url: 'again' }, 1000);
    const history = engine.store.history(record.id);
    assert.equal(history.length, 201);
    assert.deepEqual(history[0], { at: 1, kind: 'start', detail: { url: 'first' } }, 'how it began is kept');
    assert.deepEqual(history[1]!.detail, { n: 301 }, 'then the latest 200, oldest first');
    assert.deepEqual(history.at(-1), { at: 1000, kind: 'start', detail: { url: 'again' } });
    assert.equal(engine.store.history(other.id).length, 1, 'another transfer keeps its own');
    await engine.close();
  });
});

test('the queue reads a transfer\'s place without its whole record, and a checksum written since the store opened is known as such (issue 13)', async () => {
  const dataDir = tempDir();
  const engine = Engine.open({ dataDir });
  try {
    const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/late', dir: dataDir });
    assert.deepEqual(engine.store.queueEntry(record.id), { id: record.id, state: 'queued', priority: 0, seq: record.seq, url: record.url, effectiveUrl: null });
    engine.store.updateLater(record.id, { effectiveUrl: 'http://127.0.0.1:9/moved', priority: 3 }, 5);
    assert.deepEqual(engine.store.queueEntry(record.id), { id: record.id, state: 'queued', priority: 3, seq: record.seq, url: record.url, effectiveUrl: 'http://127.0.0.1:9/moved' }, 'what waits in the batch counts');
    assert.equal(engine.store.queueEntry('no such id'), undefined);

    assert.equal(engine.store.userChecksumWritten(record.id), false);
    const checksum = { algorithm: 'sha256', hex: 'a'.repeat(64), source: 'user' } as const;
    engine.store.updateLater(record.id, { userChecksum: checksum }, 6);
    assert.equal(engine.store.userChecksumWritten(record.id), true, 'waiting in the batch');
    engine.store.flush();
    assert.equal(engine.store.userChecksumWritten(record.id), true, 'written');
    assert.deepEqual(engine.store.userChecksum(record.id), checksum);
  } finally {
    await engine.close();
  }
});

test('a row reads back as the record it was written from, and every column of the table is read (issue 13: fromRow lists them)', async () => {
  const dataDir = tempDir();
  const engine = Engine.open({ dataDir });
  try {
    const base = newRecord({ direction: 'download', url: 'http://127.0.0.1:9/x.bin', dir: dataDir, requestedName: 'x.bin', name: 'x.bin', headers: [['Authorization', 'sealed']], userChecksum: { algorithm: 'sha256', hex: 'b'.repeat(64), source: 'user' }, blockSize: 1 << 20 }, 7, 1000);
    const record: TransferRecord = {
      ...base,
      state: 'failed',
      path: '/tmp/x.bin',
      serverChecksum: { algorithm: 'md5', hex: 'c'.repeat(32), source: 'repr-digest' },
      sidecar: { search: false, named: null, found: null },
      total: 10,
      offset: 5,
      etag: '"e"',
      lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT',
      ifRange: '"e"',
      effectiveUrl: 'http://127.0.0.1:9/y.bin',
      urlChain: ['http://127.0.0.1:9/x.bin', 'http://127.0.0.1:9/y.bin'],
      mirrors: ['http://127.0.0.1:9/z.bin'],
      pieces: { length: 4, algorithm: 'sha256', hashes: ['d'.repeat(64)] },
      encoded: true,
      tailDigest: 'e'.repeat(32),
      sha256: 'f'.repeat(64),
      error: { code: 'http-status', message: 'HTTP 404', retryable: false },
      resumes: 2,
      restarts: 1,
      source: '/tmp/src',
      fingerprint: { size: 10, mtimeMs: 5, ino: 3 },
      protocol: 'tus',
      relativePath: 'a/x.bin',
      uploadUrl: 'http://127.0.0.1:9/up/1',
      sentUpTo: 4,
      priority: 1,
      createdAt: 1000,
      updatedAt: 2000,
      completedAt: 3000,
    };
    const row = toRow(record);
    const db = (engine.store as unknown as { db: Database.Database }).db;
    const columns = (db.prepare('PRAGMA table_info(transfers)').all() as Array<{ name: string }>).map((c) => c.name).sort();
    assert.deepEqual(Object.keys(row).sort(), columns, 'a whole record writes every column');
    assert.deepEqual(fromRow(row), record);
    assert.deepEqual(fromRow({ ...row, encoded: 0, headers: '[]', user_checksum: null }), { ...record, encoded: false, headers: [], userChecksum: null });
  } finally {
    await engine.close();
  }
});

test('a transfer created in this session: its history is trimmed once it passes the limit, and block digests and segments written for it are cleared at its end (issue 13: writes that could find nothing are skipped)', async () => {
  const dataDir = tempDir();
  const engine = Engine.open({ dataDir });
  try {
    const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/fresh', dir: dataDir });
    for (let i = 0; i < 250; i++) engine.store.addHistoryLater(record.id, 'retry', { n: i }, i);
    engine.store.flush();
    assert.equal(engine.store.history(record.id).length, 200, 'the latest 200 (no start to keep)');
    engine.store.checkpoint(record.id, { offset: 2 << 20, blocks: [[0, 'a'.repeat(32)], [1, 'b'.repeat(32)]], tailDigest: null }, {}, 5);
    engine.store.checkpointSegments(record.id, [{ start: 0, end: 99, position: 50, tail: null }], [], 6);
    assert.equal(engine.store.blocks(record.id).size, 2);
    assert.equal(engine.store.segments(record.id).length, 1);
    engine.store.updateLater(record.id, { state: 'completed' }, 7, true);
    engine.store.flush();
    assert.equal(engine.store.blocks(record.id).size, 0, 'cleared at the end');
    assert.equal(engine.store.segments(record.id).length, 0);
  } finally {
    await engine.close();
  }
});
