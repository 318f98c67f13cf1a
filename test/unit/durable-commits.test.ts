/**
 * DurableCommits (store/durable-commits.ts): the acts that wait for a commit go on only once
 * the log holding it is on disk, one sync serving every commit made before it began.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DurableCommits } from '../../electron/engine/store/durable-commits';
import { tempDir } from '../support/harness';

/** A sync that waits until the test lets it finish, counting the calls. */
function heldSync(): { sync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void; calls: number; finish: (error?: NodeJS.ErrnoException) => void } {
  const pending: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const held = {
    calls: 0,
    sync: (_fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      held.calls++;
      pending.push(done);
    },
    finish: (error?: NodeJS.ErrnoException) => pending.shift()!(error ?? null),
  };
  return held;
}

/** A waiter and what became of it. */
function waiter(): { waiter: { resolve: () => void; reject: (e: unknown) => void }; state: () => string } {
  let state = 'waiting';
  return { waiter: { resolve: () => (state = 'acted'), reject: (e) => (state = `refused: ${(e as Error).message}`) }, state: () => state };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A log file with frames in it, and commits made durable by a sync the test holds. */
function heldLog(): { durable: DurableCommits; held: ReturnType<typeof heldSync> } {
  const log = path.join(tempDir(), 'ferry.db-wal');
  fs.writeFileSync(log, 'frames');
  const held = heldSync();
  return { durable: new DurableCommits(log, held.sync), held };
}

describe('durable commits', () => {
  test('an act waits for the sync of the log; commits made while a sync runs share the next one', async () => {
    const { durable, held } = heldLog();
    const a = waiter();
    const b = waiter();
    const c = waiter();
    durable.after([a.waiter]);
    assert.equal(held.calls, 1);
    durable.after([b.waiter]);
    durable.after([c.waiter]);
    assert.equal(held.calls, 1, 'one sync at a time');
    assert.deepEqual([a.state(), b.state(), c.state()], ['waiting', 'waiting', 'waiting'], 'nothing acts before its log is on disk');
    held.finish();
    assert.deepEqual([a.state(), b.state(), c.state()], ['acted', 'waiting', 'waiting'], 'b and c committed after the first sync began');
    assert.equal(held.calls, 2, 'b and c share the next sync');
    held.finish();
    assert.deepEqual([b.state(), c.state()], ['acted', 'acted']);
    durable.close();
  });

  test('a sync that fails refuses its acts; the next commits sync again', async () => {
    const { durable, held } = heldLog();
    const a = waiter();
    const b = waiter();
    durable.after([a.waiter]);
    durable.after([b.waiter]);
    held.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    assert.equal(a.state(), 'refused: EIO: i/o error, fdatasync');
    held.finish();
    assert.equal(b.state(), 'acted');
    durable.close();
  });

  test('no log to sync (a store in memory, or one SQLite kept out of WAL mode): acts go on at once', async () => {
    const held = heldSync();
    for (const log of [null, path.join(tempDir(), 'absent-wal')]) {
      const durable = new DurableCommits(log, held.sync);
      const a = waiter();
      durable.after([a.waiter]);
      assert.equal(a.state(), 'acted');
      durable.close();
    }
    assert.equal(held.calls, 0);
  });

  test('with the real fdatasync, on a real file', async () => {
    const log = path.join(tempDir(), 'ferry.db-wal');
    fs.writeFileSync(log, 'frames');
    const durable = new DurableCommits(log);
    const done = new Promise<void>((resolve, reject) => durable.after([{ resolve, reject }]));
    await done;
    durable.close();
    durable.close();
    await settle();
  });
});
