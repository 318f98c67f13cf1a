import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import type { EngineEvent } from '../../electron/engine/context';
import { Engine } from '../../electron/engine/engine';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { TEST_TUNING, listDir, tempDir } from '../support/harness';

/**
 * Issue 13: writes whose loss to a crash is harmless wait for one transaction per turn of
 * the event loop (store/write-batch.ts). These tests hold the batch to its promises: seen
 * at once, written at the next turn, carried by any write that may not wait (in order),
 * kept when the store refuses it, written at close; and a crash that loses it loses
 * nothing a run cannot redo without fetching a byte.
 */

/** The store's own connection, to read rows as they are on disk, past the batch. */
function rawDb(engine: Engine): Database.Database {
  return (engine.store as unknown as { db: Database.Database }).db;
}

function rawRow(engine: Engine, id: string): { state: string; priority: number; completed_at: number | null } {
  return rawDb(engine).prepare('SELECT state, priority, completed_at FROM transfers WHERE id = ?').get(id) as { state: string; priority: number; completed_at: number | null };
}

function rawHistory(engine: Engine, id: string): string[] {
  return (rawDb(engine).prepare('SELECT kind FROM history WHERE transfer_id = ? ORDER BY id').all(id) as Array<{ kind: string }>).map((r) => r.kind);
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function openWithOne(dataDir = tempDir('batch-data-')): { engine: Engine; id: string; dataDir: string } {
  const engine = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING });
  const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/a.bin', dir: tempDir('batch-dl-') });
  return { engine, id: record.id, dataDir };
}

describe('the store batch: writes that may wait', () => {
  test('a write that may wait is read at once and written at the next turn of the event loop, with its history', async () => {
    const { engine, id } = openWithOne();
    engine.store.updateLater(id, { state: 'completed', completedAt: 42 }, 42, true);
    engine.store.addHistoryLater(id, 'complete', { path: 'x' }, 42);
    assert.equal(rawRow(engine, id).state, 'queued', 'not written yet');
    assert.equal(engine.store.get(id)!.state, 'completed', 'but read as written');
    assert.equal(engine.store.get(id)!.completedAt, 42);
    await nextTurn();
    assert.equal(rawRow(engine, id).state, 'completed');
    assert.equal(rawRow(engine, id).completed_at, 42);
    assert.deepEqual(rawHistory(engine, id), ['complete']);
    await engine.close();
  });

  test('a write that may not wait carries the batch in its transaction, older changes first', async () => {
    const { engine, id } = openWithOne();
    engine.store.updateLater(id, { priority: 5, completedAt: 7 }, 1, false);
    engine.store.addHistoryLater(id, 'retry', {}, 1);
    engine.store.update(id, { priority: 9 }, 2);
    // Both are on disk now, and the later write won: the batch went first.
    assert.deepEqual(rawRow(engine, id), { state: 'queued', priority: 9, completed_at: 7 });
    assert.deepEqual(rawHistory(engine, id), ['retry']);
    await nextTurn();
    assert.equal(rawRow(engine, id).priority, 9, 'nothing older was written over it at the turn');
    await engine.close();
  });

  test('a batch the store refuses stays, is reported, is read meanwhile, and is written once the store takes writes', async () => {
    const { engine, id, dataDir } = openWithOne();
    const raw = rawDb(engine);
    raw.pragma('query_only = ON');
    engine.store.updateLater(id, { completedAt: 99 }, 3, false);
    await nextTurn();
    assert.equal(engine.store.get(id)!.completedAt, 99, 'still read as written');
    assert.equal(rawRow(engine, id).completed_at, null);
    assert.throws(() => engine.store.update(id, { priority: 1 }, 4), /readonly|read-only|query_only/i, 'a write that may not wait fails as before');
    raw.pragma('query_only = OFF');
    engine.store.update(id, { priority: 1 }, 4);
    assert.deepEqual(rawRow(engine, id), { state: 'queued', priority: 1, completed_at: 99 });
    await engine.close();
    const log = fs.readFileSync(path.join(dataDir, 'ferry.log'), 'utf8');
    assert.match(log, /refused a batch/);
  });

  test('a write-before-act in the batch: the act waits until it is written; one the store refuses rejects, so the act never happens', async () => {
    const { engine, id } = openWithOne();
    const other = engine.addDownload({ url: 'http://127.0.0.1:9/b.bin', dir: tempDir('batch-dl-') }).record.id;
    let acted = false;
    const first = engine.store.updateInBatch(id, { sha256: 'a'.repeat(64) }, 1).then(() => {
      acted = true;
      return rawDb(engine).prepare('SELECT sha256 FROM transfers WHERE id = ?').pluck().get(id);
    });
    const second = engine.store.updateInBatch(other, { sha256: 'b'.repeat(64) }, 1);
    assert.equal(acted, false);
    assert.equal(rawDb(engine).prepare('SELECT sha256 FROM transfers WHERE id = ?').pluck().get(id), null, 'not written before the turn');
    assert.equal(await first, 'a'.repeat(64), 'written before the act');
    await second;

    const raw = rawDb(engine);
    raw.pragma('query_only = ON');
    const refused = await engine.store.updateInBatch(id, { path: '/x' }, 2).then(
      () => 'acted',
      (error: Error) => error.message,
    );
    assert.match(refused, /readonly|read-only|query_only/i);
    assert.equal(engine.store.get(id)!.path, '/x', 'kept in the batch, read as written');
    raw.pragma('query_only = OFF');
    engine.store.update(id, { priority: 2 }, 3);
    assert.equal(raw.prepare('SELECT path FROM transfers WHERE id = ?').pluck().get(id), '/x', 'written with the next write');
    await engine.close();
  });

  test('a name a start claims in the batch is claimed for every other transfer at once, and stays claimed while the store refuses the batch', async () => {
    const { engine, id } = openWithOne();
    const dir = engine.store.get(id)!.dir;
    const written = engine.store.updateInBatch(id, { name: 'same.bin' }, 1, { claimIn: dir });
    assert.equal(engine.store.nameClaimed(dir, 'same.bin'), true, 'claimed before it is written');
    assert.equal(engine.store.nameClaimed(tempDir('batch-other-'), 'same.bin'), false, 'in its folder only');
    await written;
    assert.equal(engine.store.nameClaimed(dir, 'same.bin'), true, 'and from the store once written');

    const raw = rawDb(engine);
    raw.pragma('query_only = ON');
    const refused = engine.store.updateInBatch(id, { name: 'other.bin' }, 2, { claimIn: dir });
    await refused.catch(() => undefined);
    assert.equal(engine.store.nameClaimed(dir, 'other.bin'), true, 'a refused batch keeps its claim');
    raw.pragma('query_only = OFF');
    await engine.close();
  });

  test('history rows go in without a look for their transfer when the batch changed it, and one whose transfer is gone is dropped (issue 13)', async () => {
    const { engine, id } = openWithOne();
    const gone = engine.addDownload({ url: 'http://127.0.0.1:9/gone.bin', dir: tempDir('batch-dl-') }).record.id;
    for (const x of [id, gone]) {
      engine.store.updateLater(x, { state: 'completed', completedAt: 5 }, 5, true);
      engine.store.addHistoryLater(x, 'complete', { path: 'x' }, 5);
    }
    rawDb(engine).prepare('DELETE FROM transfers WHERE id = ?').run(gone); // gone before the batch is written
    engine.store.flush();
    assert.deepEqual(rawHistory(engine, id), ['complete']);
    assert.equal(rawDb(engine).prepare('SELECT COUNT(*) FROM history WHERE transfer_id = ?').pluck().get(gone), 0, 'its row dropped, the batch written');
    assert.equal(rawRow(engine, id).state, 'completed');
    await engine.close();
  });

  test("a write-before-act waits until the store's log holding it is on disk, not only written (a power cut keeps links and unlinks; found in review)", async () => {
    const { engine, id, dataDir } = openWithOne();
    const synced: string[] = [];
    let finish: (() => void) | null = null;
    const durable = (engine.store as unknown as { durable: { sync: (fd: number, done: (e: Error | null) => void) => void } }).durable;
    durable.sync = (fd, done) => {
      synced.push(fs.fstatSync(fd).ino === fs.statSync(path.join(dataDir, 'ferry.db-wal')).ino ? 'ferry.db-wal' : `another file (fd ${fd})`);
      finish = () => done(null);
    };
    let acted = false;
    const written = engine.store.updateInBatch(id, { priority: 7 }, Date.now()).then(() => (acted = true));
    await nextTurn();
    await nextTurn();
    assert.equal(rawRow(engine, id).priority, 7, 'committed');
    assert.equal(acted, false, 'but the act waits for the log to be on disk');
    assert.deepEqual(synced, ['ferry.db-wal']);
    finish!();
    await written;
    assert.equal(acted, true);
    await engine.close();
  });

  test('a segmented start the store refuses fails the download and leaves no promise unheard (an unhandled rejection ends a CLI; found in review)', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', listener);
    const server = await new FaultServer().start();
    try {
      const dataDir = tempDir();
      const engine = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING, limits: { maxConnections: 4 } });
      let armed = true;
      // The store refuses writes from the moment the request arrives (a disk that filled up):
      // the start waits in the batch, and the segment plan that carries it is refused.
      const file = {
        body: randomBytesOf(2 << 20, 7),
        etag: '"seg"',
        get headers(): Record<string, string> {
          if (armed) {
            armed = false;
            rawDb(engine).pragma('query_only = ON');
          }
          return {};
        },
      };
      const url = server.serve('/seg.bin', file);
      const { record } = engine.addDownload({ url, dir: tempDir() });
      const ended = await engine.run(record.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      rawDb(engine).pragma('query_only = OFF');
      await engine.close();
      assert.equal(ended.state, 'failed');
      assert.match(ended.error?.message ?? '', /store/i);
      assert.deepEqual(unhandled, [], 'no promise rejected without a handler');
    } finally {
      process.off('unhandledRejection', listener);
      await server.stop();
    }
  });

  test('closing the engine writes the batch', async () => {
    const dataDir = tempDir('batch-data-');
    const { engine, id } = openWithOne(dataDir);
    engine.store.updateLater(id, { priority: 3 }, 5, false);
    engine.store.addHistoryLater(id, 'retry', {}, 5);
    await engine.close(); // before any turn of the loop
    const again = Engine.open({ dataDir, command: 'test' });
    assert.equal(again.store.get(id)!.priority, 3);
    assert.deepEqual(rawHistory(again, id), ['retry']);
    await again.close();
  });
});

describe('kill -9 before the batch is written', () => {
  test('a completion lost with the batch: the next run proves the placed file and completes it, fetching nothing, placing no second copy', async () => {
    const server = await new FaultServer().start();
    try {
      const body = randomBytesOf(100_000, 13);
      const url = server.serve('/small.bin', { body });
      const dataDir = tempDir('batch-data-');
      const crashed = tempDir('batch-crashed-');
      const dir = tempDir('batch-dl-');
      // At the 'ended' event the completion waits in the batch: the store's files as they
      // are at that instant are what a kill -9 would leave (the OS holds what was written).
      const onEvent = (e: EngineEvent): void => {
        if (e.type !== 'ended') return;
        for (const suffix of ['', '-wal']) {
          const file = path.join(dataDir, 'ferry.db' + suffix);
          if (fs.existsSync(file)) fs.copyFileSync(file, path.join(crashed, 'ferry.db' + suffix));
        }
      };
      const first = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING, onEvent });
      const [added] = await first.addDownloads([{ url, dir }]);
      const record = added!.record;
      const done = await first.run(record.id);
      assert.equal(done.state, 'completed');
      await first.close();

      const second = Engine.open({ dataDir: crashed, command: 'test', tuning: TEST_TUNING });
      const left = second.store.get(record.id)!;
      assert.notEqual(left.state, 'completed', 'the completion was lost with the batch (else this test proves nothing)');
      assert.equal(left.path, done.path, 'the path was written before the partial went');
      assert.equal(left.sha256, sha256(body), 'the verdict was written before the link');
      const again = await second.run(record.id);
      await second.close();
      assert.equal(again.state, 'completed');
      assert.equal(again.path, done.path);
      assert.equal(again.sha256, sha256(body));
      assert.equal(server.requests('/small.bin').length, 1, 'not a byte fetched again');
      assert.deepEqual(listDir(dir), ['small.bin'], 'no second copy, no partial');
    } finally {
      await server.stop();
    }
  });
  test('a crash after the verdict and the name it was about to take were written, before the link: the next run places the partial under that name, or beside a file that took it meanwhile, fetching nothing', async () => {
    const server = await new FaultServer().start();
    try {
      const body = randomBytesOf(50_000, 17);
      const url = server.serve('/small.bin', { body });
      for (const takenMeanwhile of [false, true]) {
        const dataDir = tempDir('batch-data-');
        const dir = tempDir('batch-dl-');
        const first = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING });
        const [added] = await first.addDownloads([{ url, dir }]);
        const done = await first.run(added!.record.id);
        assert.equal(done.path, path.join(dir, 'small.bin'));
        await first.close();
        // What such a crash leaves: the partial, and a record with the verdict and the name, not completed.
        fs.renameSync(done.path!, `${done.path!}.ferrypart`);
        const raw = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING });
        rawDb(raw).prepare(`UPDATE transfers SET state = 'queued', completed_at = NULL WHERE id = ?`).run(done.id);
        await raw.close();
        if (takenMeanwhile) fs.writeFileSync(done.path!, 'a file of the person\'s own');

        const second = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING });
        assert.equal(second.store.get(done.id)!.path, done.path, 'the name was on record with the verdict');
        const again = await second.run(done.id);
        await second.close();
        assert.equal(again.state, 'completed');
        assert.equal(again.sha256, sha256(body));
        const placed = takenMeanwhile ? path.join(dir, 'small (1).bin') : done.path!;
        assert.equal(again.path, placed, 'the record names where the file went');
        assert.deepEqual(fs.readFileSync(placed), body);
        if (takenMeanwhile) assert.equal(fs.readFileSync(done.path!, 'utf8'), "a file of the person's own", 'never overwritten');
        assert.deepEqual(listDir(dir), takenMeanwhile ? ['small (1).bin', 'small.bin'] : ['small.bin'], 'no partial left');
      }
      assert.equal(server.requests('/small.bin').length, 2, 'one fetch for each first run, none for the placements');
    } finally {
      await server.stop();
    }
  });
});
