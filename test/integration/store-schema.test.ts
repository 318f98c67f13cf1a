import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { PENDING_INTEGRITY } from '../../electron/common/integrity';
import { Engine } from '../../electron/engine/engine';
import { MIGRATIONS } from '../../electron/engine/store/migrations';
import { tempDir } from '../support/harness';

const dbOf = (engine: Engine): Database.Database => (engine.store as unknown as { db: Database.Database }).db;
const statementsOf = (engine: Engine): Record<string, Database.Statement> => (engine.store as unknown as { statements: Record<string, Database.Statement> }).statements;

/** How SQLite runs a statement of the store, its parameters all NULL. */
function plan(db: Database.Database, statement: Database.Statement): string {
  const explained = db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`);
  const params = (explained.source.match(/\?/g) ?? []).map(() => null);
  return (explained.all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
}

test('a store version 8 wrote keeps its transfers through migration 9, and every lookup still reads an index (issue 13: indexes a state change does not rewrite)', async () => {
  const dataDir = tempDir();
  const old = new Database(path.join(dataDir, 'ferry.db'));
  old.pragma('journal_mode = WAL');
  for (let version = 0; version < 8; version++) {
    MIGRATIONS[version]!(old);
    old.pragma(`user_version = ${version + 1}`);
  }
  const insert = old.prepare(
    `INSERT INTO transfers (id, direction, state, url, dir, requested_name, name, path, source, block_size, integrity, seq, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, 65536, ?, ?, 0, 0)`,
  );
  const pending = JSON.stringify(PENDING_INTEGRITY);
  const url = 'http://127.0.0.1:9/a.bin';
  insert.run('done', 'download', 'completed', url, dataDir, 'a.bin', path.join(dataDir, 'a.bin'), null, pending, 1);
  insert.run('paused', 'download', 'paused', url, dataDir, 'a (1).bin', null, null, pending, 2);
  insert.run('up', 'upload', 'failed', 'http://127.0.0.1:9/files/', dataDir, 'src.bin', null, '/tmp/src.bin', pending, 3);
  insert.run('sent', 'upload', 'completed', 'http://127.0.0.1:9/files/', dataDir, 'src.bin', null, '/tmp/src.bin', pending, 4);
  old.close();

  const engine = Engine.open({ dataDir });
  try {
    const db = dbOf(engine);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const indexes = (db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'transfers' AND sql IS NOT NULL ORDER BY name`).all() as Array<{ name: string; sql: string }>).map((i) => i.name);
    assert.deepEqual(indexes, ['names_claimed', 'transfers_by_order', 'transfers_by_target', 'uploads_by_source']);

    assert.equal(engine.store.findUnfinishedDownload(url, dataDir, null)?.id, 'paused');
    assert.equal(engine.store.findSameDownload(url, dataDir, null)?.id, 'paused', 'the unfinished one before the completed one');
    assert.equal(engine.store.findUnfinishedDownload(url, '/elsewhere', null), undefined);
    assert.equal(engine.store.findUnfinishedUpload('/tmp/src.bin', 'http://127.0.0.1:9/files/')?.id, 'up');
    assert.equal(engine.store.nameClaimed(dataDir, 'a (1).bin'), true, 'a paused download claims its name');
    assert.equal(engine.store.nameClaimed(dataDir, 'a.bin'), false, 'a completed one no longer does');
    engine.store.update('paused', { state: 'canceled' }, 5);
    assert.equal(engine.store.nameClaimed(dataDir, 'a (1).bin'), false, 'nor a canceled one');
    assert.equal(engine.store.findUnfinishedDownload(url, dataDir, null), undefined);
    assert.equal(engine.store.findSameDownload(url, dataDir, null)?.id, 'done', 'then the completed one');
    const again = engine.addDownload({ url, dir: dataDir }).record;
    assert.equal(engine.store.findSameDownload(url, dataDir, null)?.id, again.id, 'a new unfinished one before it');
    engine.store.update(again.id, { state: 'completed', path: path.join(dataDir, 'a (2).bin') }, 6);
    assert.equal(engine.store.findSameDownload(url, dataDir, null)?.id, again.id, 'the latest completed of two');
    engine.store.update(again.id, { path: null }, 7);
    assert.equal(engine.store.findSameDownload(url, dataDir, null)?.id, 'done', 'only a completed one with a path');
    assert.equal(engine.store.findSameDownload(url, dataDir, 'other.bin'), undefined, 'another name asked for is another download');

    const statements = statementsOf(engine);
    for (const name of ['identity', 'sameDownload', 'uploadIdentity', 'nameClaimed', 'get', 'queueEntry', 'blocks', 'segments', 'history']) {
      assert.doesNotMatch(plan(db, statements[name]!), /SCAN/, `${name} reads an index`);
    }
    assert.match(plan(db, statements.uploadIdentity!), /USING INDEX uploads_by_source/);
    assert.match(plan(db, statements.nameClaimed!), /USING INDEX names_claimed/);
    assert.match(plan(db, statements.identity!), /USING INDEX transfers_by_target/);
    assert.match(plan(db, statements.sameDownload!), /USING INDEX transfers_by_target/);
  } finally {
    await engine.close();
  }
});

test('block digests and segments are read only for a transfer that may hold some: one created in this session and never checkpointed is not read; one from an earlier session is (issue 13)', async () => {
  const dataDir = tempDir();
  const first = Engine.open({ dataDir });
  const earlier = first.addDownload({ url: 'http://127.0.0.1:9/earlier', dir: dataDir }).record.id;
  first.store.checkpointSegments(earlier, [{ start: 0, end: 99, position: 50, tail: null }], [[0, 'a'.repeat(64)]], 1);
  await first.close();

  const engine = Engine.open({ dataDir });
  try {
    const statements = statementsOf(engine);
    const reads = { blocks: 0, segments: 0 };
    for (const name of ['blocks', 'segments'] as const) {
      const all = statements[name]!.all.bind(statements[name]);
      statements[name]!.all = ((...params: unknown[]) => {
        reads[name]++;
        return all(...params);
      }) as never;
    }
    assert.equal(engine.store.segments(earlier).length, 1, 'an earlier session\'s segments are read');
    assert.equal(engine.store.blocks(earlier).size, 1, 'and its block digests');
    assert.deepEqual(reads, { blocks: 1, segments: 1 });

    const fresh = engine.addDownload({ url: 'http://127.0.0.1:9/fresh', dir: dataDir }).record.id;
    assert.deepEqual(engine.store.segments(fresh), []);
    assert.equal(engine.store.blocks(fresh).size, 0);
    assert.deepEqual(reads, { blocks: 1, segments: 1 }, 'nothing read for one that never wrote any');
    engine.store.checkpointSegments(fresh, [{ start: 0, end: 9, position: 5, tail: null }], [[0, 'b'.repeat(64)]], 2);
    assert.equal(engine.store.segments(fresh).length, 1, 'read once it wrote some');
    assert.equal(engine.store.blocks(fresh).size, 1);
    engine.store.updateLater(fresh, { state: 'completed' }, 3, true);
    assert.deepEqual(engine.store.segments(fresh), [], 'gone with the batch');
    engine.store.flush();
    assert.deepEqual(engine.store.segments(fresh), []);
    assert.equal(engine.store.blocks(fresh).size, 0);
  } finally {
    await engine.close();
  }
});
