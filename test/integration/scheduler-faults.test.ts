/**
 * The engine stays up (issue 12): a store that fails under the queue, a transfer removed
 * while it runs, connections that cannot be replaced, a listener that throws. Each becomes
 * a failed transfer with a named error or an engine error the host hears; the waiters
 * resolve, the next transfer runs, and nothing reaches 'unhandledRejection' or
 * 'uncaughtException' (either would end a real process, and every transfer with it).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { TransferRecord } from '../../electron/common/transfer';
import type { EngineContext } from '../../electron/engine/context';
import { Engine, type EngineOptions } from '../../electron/engine/engine';
import { DEFAULT_LIMITS, type ScheduledTask, Scheduler } from '../../electron/engine/scheduler/scheduler';
import { UndiciTransport } from '../../electron/engine/http/undici-transport';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { TEST_TUNING, tempDir } from '../support/harness';

const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
process.on('uncaughtException', (error) => unhandled.push(`uncaughtException: ${error.stack}`));

interface Opened {
  engine: Engine;
  dir: string;
  engineErrors: Error[];
  /** The engine's own SQLite connection, to make it fail the way a real store fails. */
  db: Database.Database;
}

function open(options: Partial<EngineOptions> = {}): Opened {
  const engineErrors: Error[] = [];
  const engine = Engine.open({
    dataDir: tempDir('ferry-data-'),
    command: 'test',
    tuning: { ...TEST_TUNING, stallTimeoutMs: 300 },
    onEngineError: (error) => engineErrors.push(error),
    ...options,
  });
  return { engine, dir: tempDir('ferry-dl-'), engineErrors, db: (engine.store as unknown as { db: Database.Database }).db };
}

/** `promise`, or a failure naming what hung: a waiter that never resolves is the bug. */
async function within<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the engine stays up when the store or a callback fails', () => {
  let server: FaultServer;
  let n = 0;
  /** A file to download; `plan` makes its first requests misbehave. */
  const serve = (size: number, plan: Parameters<FaultServer['serve']>[2] = []): { url: string; body: Buffer } => {
    const body = randomBytesOf(size, ++n);
    return { url: server.serve(`/faults/${n}/f.bin`, { body, etag: `"${n}"` }, plan), body };
  };
  const add = (t: Opened, url: string): string => t.engine.addDownload({ url, dir: t.dir }).record.id;

  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.stop();
  });
  afterEach(() => {
    assert.deepEqual(unhandled.splice(0), [], 'nothing may go unhandled: each of these would have ended the process');
  });

  /** The queue still works: a fresh transfer runs to its exact bytes. */
  async function nextOneRuns(t: Opened): Promise<void> {
    const { url, body } = serve(50_000);
    const done = await within(t.engine.run(add(t, url)), 'the next transfer');
    assert.equal(done.state, 'completed');
    assert.equal(done.sha256, sha256(body));
  }

  test('a store made read-only mid-download: the transfer fails naming the store error, its waiter hears it, and the queue goes on', async () => {
    const t = open();
    const { url } = serve(1 << 20, [{ stallAfter: 300_000 }]);
    const id = add(t, url);
    const running = t.engine.run(id);
    await until(() => (t.engine.progress(id)?.bytes ?? 0) >= 300_000, '300 kB');
    // From here SQLite refuses every write (SQLITE_READONLY), as a store on a disk that
    // went read-only does; the stall makes the task write its retry, then its failure.
    t.db.pragma('query_only = ON');
    const failed = await within(running, 'the waiter of the transfer whose store failed');
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', /SQLITE_READONLY/);
    assert.match(failed.error?.message ?? '', /data directory/);
    assert.ok(t.engineErrors.some((e) => /record/.test(e.message) && /SQLITE_READONLY/.test(e.message)), t.engineErrors.map((e) => e.message).join('\n'));
    t.db.pragma('query_only = OFF');
    await nextOneRuns(t);
    assert.equal(t.engine.store.get(id)!.state, 'failed', 'the failure is on record once the store takes writes again');
    await t.engine.close();
  });

  test('a store read that fails as the queue starts the next transfer: that one fails with the store error, the one after it runs', async () => {
    const t = open({ limits: { maxActive: 1 } });
    const files = [serve(40_000), serve(40_000), serve(40_000)];
    const ids = files.map((f) => add(t, f.url));
    const all = t.engine.runAll(ids);
    // The queue reads the second transfer when the first ends, inside the first one's
    // completion callback; that read fails once, as a disk I/O error would.
    const get = t.engine.store.get.bind(t.engine.store);
    let failures = 0;
    t.engine.store.get = (id: string): TransferRecord | undefined => {
      if (id === ids[1] && failures++ === 0) throw new Database.SqliteError('disk I/O error', 'SQLITE_IOERR');
      return get(id);
    };
    const records = await within(all, 'every waiter');
    assert.deepEqual(
      records.map((r) => r.state),
      ['completed', 'failed', 'completed'],
    );
    assert.match(records[1]!.error?.message ?? '', /SQLITE_IOERR/);
    assert.equal(records[2]!.sha256, sha256(files[2]!.body));
    assert.equal(get(ids[1]!)!.state, 'failed');
    await t.engine.close();
  });

  test('a transfer removed from the store while it runs: its waiter hears that it ended and why, and the queue goes on', async () => {
    const t = open();
    const { url } = serve(1 << 20, [{ stallAfter: 200_000 }]);
    const id = add(t, url);
    const running = t.engine.run(id);
    await until(() => (t.engine.progress(id)?.bytes ?? 0) >= 200_000, '200 kB');
    // Forgotten under the task's feet: its next history line breaks a foreign key.
    t.engine.store.remove(id);
    const ended = await within(running, 'the waiter of the removed transfer');
    assert.equal(ended.state, 'failed');
    assert.match(ended.error?.message ?? '', /removed/);
    assert.equal(t.engine.store.get(id), undefined);
    await nextOneRuns(t);
    await t.engine.close();
  });

  test('a wake whose old connections cannot be dropped: the engine says so and transfers resume anyway', async () => {
    const transport = new UndiciTransport();
    transport.reset = () => Promise.reject(new Error('the connection pool would not close'));
    const t = open({ transport, tuning: { ...TEST_TUNING, stallTimeoutMs: 60_000 } });
    const { url, body } = serve(1 << 20, [{ stallAfter: 300_000 }]);
    const id = add(t, url);
    const running = t.engine.run(id);
    await until(() => (t.engine.progress(id)?.bytes ?? 0) >= 300_000, '300 kB');
    await t.engine.wake();
    const record = await within(running, 'the transfer after wake');
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(body));
    assert.ok(t.engineErrors.some((e) => /would not close/.test(e.message)), t.engineErrors.map((e) => e.message).join('\n'));
    await t.engine.close();
  });

  test('an event listener that throws does not fail the transfer; the engine reports it', async () => {
    let thrown = 0;
    const t = open({
      onEvent: () => {
        thrown++;
        throw new Error('a listener bug');
      },
    });
    const { url, body } = serve(50_000);
    const record = await within(t.engine.run(add(t, url)), 'the transfer');
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(body));
    assert.ok(thrown > 0);
    assert.ok(t.engineErrors.some((e) => /a listener bug/.test(e.message)));
    await t.engine.close();
  });

  test('run and settled never hang on a closed engine: waiters in the queue get their record, later calls a clear error', async () => {
    const t = open({ limits: { maxActive: 1 } });
    const ids = [serve(1 << 20, [{ stallAfter: 100_000 }]), serve(50_000)].map((f) => add(t, f.url));
    const all = t.engine.runAll(ids);
    await until(() => (t.engine.progress(ids[0]!)?.bytes ?? 0) >= 100_000, '100 kB');
    await t.engine.close();
    const records = await within(all, 'the waiters at close');
    assert.deepEqual(
      records.map((r) => r.state),
      ['queued', 'queued'],
    );
    await assert.rejects(within(t.engine.run(ids[1]!), 'run after close'), /closed/);
    await assert.rejects(within(t.engine.settled(ids[0]!), 'settled after close'), /closed/);
  });

  test('close answers every waiter even when a task ignores its abort: after a grace, with the last checkpoint, and says which', async () => {
    const t = open();
    const ctx = (t.engine as unknown as { context: EngineContext }).context;
    // A task with a bug: it never ends and does not listen to its signal.
    const stuck = (record: TransferRecord): ScheduledTask => ({ record, progress: () => ({ bytes: 0, total: null }), run: () => new Promise(() => undefined) });
    const errors: Error[] = [];
    const scheduler = new Scheduler(ctx, { requests: ctx.requests, limits: { ...DEFAULT_LIMITS }, createTask: stuck, onEngineError: (e) => errors.push(e), stopGraceMs: 200 });
    const id = add(t, serve(1000).url);
    scheduler.start([id]);
    const waiting = scheduler.settled(id);
    await within(scheduler.close(), 'close with a stuck task');
    const record = await within(waiting, 'the waiter of the stuck task');
    assert.equal(record.state, 'queued');
    assert.ok(errors.some((e) => e.message.includes(`did not stop within 200 ms of closing (${id})`)), errors.map((e) => e.message).join('\n'));
    await t.engine.close();
  });
});
