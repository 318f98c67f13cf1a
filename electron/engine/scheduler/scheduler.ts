import * as fs from 'node:fs';
import type { TransferError } from '../../common/errors';
import type { TransferRecord, TransferState } from '../../common/transfer';
import { type EngineContext, type EngineEvent, StopRequest } from '../context';
import { EngineClosedError, EngineError, NO_RESULT, REMOVED_WHILE_RUNNING, describeError, transferFailureOf } from './failures';
import type { Limits } from './limits';
import { QueueRecords } from './queue-records';
import type { RequestLimiter } from './request-limiter';
import { type Queued, WaitingQueue } from './waiting-queue';
import { SettleWaiters, type Waiter, settlesWithin } from './waiters';
import { discardPartial } from './partials';
import type { ScheduledTask, TaskFactory } from './scheduled-task';
import { lookAtHeap } from '../core/collections';

export { DEFAULT_LIMITS, type Limits } from './limits';
export type { ScheduledTask, TaskFactory } from './scheduled-task';

export type Placement = 'top' | 'up' | 'down' | 'bottom';

export interface SchedulerOptions {
  requests: RequestLimiter;
  limits: Limits;
  createTask: TaskFactory;
  /** Hears what fails outside any one transfer; the queue goes on (EngineOptions.onEngineError). */
  onEngineError: (error: EngineError) => void;
  /**
   * How long close() waits for running tasks to stop before it answers their waiters with
   * the last checkpoint anyway: a task that ignores its abort must not hang a quit.
   */
  stopGraceMs?: number;
}

interface Running {
  task: ScheduledTask;
  controller: AbortController;
  host: string;
  /** Settles once the task has stopped and the queue has taken note. */
  done: Promise<void>;
}

/** States after which a transfer does not run again until someone asks. */
const SETTLED: ReadonlySet<TransferState> = new Set(['completed', 'failed', 'canceled', 'paused']);

/**
 * The queue: which transfers run, in what order, within which limits. Only transfers this
 * engine was asked to run are admitted (a `ferry get` runs its URLs, not the whole store).
 * The queue index holds a few fields per transfer; the heavy parts (buffers, hashing
 * sessions, sockets) exist only for the active ones, so memory follows the number active.
 *
 * Nothing the queue does in a callback may end the process: a task that throws, a store
 * that refuses a write, a transfer removed meanwhile each end that transfer with a named
 * error (or reach onEngineError when they belong to none), its waiters are answered, and
 * the queue goes on.
 */
export class Scheduler {
  private readonly queue = new WaitingQueue();
  private readonly running = new Map<string, Running>();
  private readonly waiters = new SettleWaiters();
  private readonly records: QueueRecords;
  private readonly requests: RequestLimiter;
  private readonly createTask: TaskFactory;
  private readonly onEngineError: (error: EngineError) => void;
  private readonly stopGraceMs: number;
  private limits: Limits;
  private suspended = false;
  private offline = false;
  /** Nothing starts while connections are being replaced (wake, online). */
  private replacing = false;
  /** Outside the active hours (time-windows.ts): nothing starts until they begin again. */
  private outsideHours = false;
  private closed = false;

  constructor(
    private readonly ctx: EngineContext,
    options: SchedulerOptions,
  ) {
    this.requests = options.requests;
    this.createTask = options.createTask;
    this.onEngineError = options.onEngineError;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.records = new QueueRecords(ctx.store, ctx.clock, (message, error) => this.report(message, error));
    this.limits = options.limits;
    this.requests.setMaxPerHost(this.limits.maxPerHost);
    this.ctx.bandwidth.setRate(this.limits.bandwidth);
  }

  get currentLimits(): Limits {
    return { ...this.limits };
  }

  /**
   * Queues transfers to run: resumes paused ones, retries failed or canceled ones. A
   * completed transfer is left alone. Nothing starts once the engine has closed.
   */
  start(ids: string[]): void {
    if (this.closed) return;
    for (const id of ids) {
      if (this.running.has(id) || this.queue.has(id)) continue;
      const record = this.records.entry(id);
      if (!record || record.state === 'completed') continue;
      if (record.state !== 'queued') this.setState(id, 'queued', { error: null });
      this.records.forget(id);
      this.queue.add(record);
    }
    this.pump();
  }

  /** Stops transfers with a checkpoint; they wait for `start` (resume). */
  pause(ids: string[]): Promise<void> {
    return this.stop(ids, 'paused');
  }

  /** Stops transfers for good and deletes their partial files (ours, never the person's). */
  async cancel(ids: string[]): Promise<void> {
    await this.stop(ids, 'canceled');
    const failed = this.eachId(ids, (id) => {
      const record = this.ctx.store.get(id);
      if (record?.state === 'canceled') discardPartial(this.ctx, record);
    });
    throwIfAny(failed, 'cancel', ids.length);
  }

  /**
   * Forgets transfers. Partial files always go (nothing could resume them); a downloaded
   * file goes only when `deleteFiles` says so. An upload's file is the person's own and is
   * never deleted.
   */
  async remove(ids: string[], options: { deleteFiles: boolean }): Promise<void> {
    await this.stop(ids, 'canceled');
    const failed = this.eachId(ids, (id) => {
      const record = this.ctx.store.get(id);
      if (!record) return;
      discardPartial(this.ctx, record);
      if (options.deleteFiles && record.direction === 'download' && record.state === 'completed' && record.path) fs.rmSync(record.path, { force: true });
      this.ctx.store.remove(id);
      this.records.forget(id);
      this.emit({ type: 'removed', id });
    });
    throwIfAny(failed, 'remove', ids.length);
  }

  /** Moves a transfer within its priority; the order is stored and survives a restart. */
  move(id: string, placement: Placement): void {
    const record = this.ctx.store.get(id);
    if (!record) return;
    if (placement === 'top') this.ctx.store.moveToFront(id);
    else if (placement === 'bottom') this.ctx.store.moveToBack(id);
    else {
      const peers = this.ctx.store.unfinished().filter((r) => r.priority === record.priority);
      const at = peers.findIndex((r) => r.id === id);
      const other = peers[placement === 'up' ? at - 1 : at + 1];
      if (at < 0 || !other) return;
      this.ctx.store.swapOrder(record, other);
    }
    this.reorder();
  }

  setPriority(id: string, priority: number): void {
    if (!this.ctx.store.get(id)) return;
    this.ctx.store.update(id, { priority }, this.ctx.clock.now());
    this.reorder();
  }

  /** Applies at once: a raised limit starts more; a lowered one sends the last started back to the queue. */
  setLimits(changes: Partial<Limits>): void {
    this.limits = { ...this.limits, ...changes };
    this.requests.setMaxPerHost(this.limits.maxPerHost);
    this.ctx.bandwidth.setRate(this.limits.bandwidth);
    const excess = this.running.size - this.limits.maxActive;
    if (excess > 0) {
      const newestFirst = [...this.running.keys()].reverse().slice(0, excess);
      for (const id of newestFirst) this.running.get(id)?.controller.abort(new StopRequest('queued'));
    }
    this.pump();
  }

  /** The machine is going to sleep: checkpoint everything; nothing starts until wake(). */
  suspend(): Promise<void> {
    this.suspended = true;
    return this.requeueRunning();
  }

  /**
   * The machine woke up. Sockets from before the sleep look open but are dead: drop them
   * and resume everything now rather than wait for stall timeouts (also when no suspend
   * was seen, as some systems only report the wake).
   */
  async wake(): Promise<void> {
    this.suspended = false;
    await this.restartOnFreshConnections();
  }

  /** An edge of the active hours: outside, checkpoint what runs and start nothing; inside, go on. */
  async setOutsideHours(outside: boolean): Promise<void> {
    this.outsideHours = outside;
    if (outside) await this.requeueRunning();
    else this.pump();
  }

  /** The network went away: checkpoint everything and wait for online(). */
  goOffline(): Promise<void> {
    this.offline = true;
    return this.requeueRunning();
  }

  /** The network is back, maybe another one: fresh connections, every transfer resumed now. */
  async goOnline(): Promise<void> {
    this.offline = false;
    await this.restartOnFreshConnections();
  }

  /**
   * Resolves when the transfer settles (completed, failed, canceled, paused) or the engine
   * closes; rejects, never hangs, when there is no record to answer with (an unknown id, a
   * transfer removed meanwhile, an engine already closed).
   */
  settled(id: string): Promise<TransferRecord> {
    return new Promise((resolve, reject) => this.whenSettled(id, { resolve, reject }));
  }

  /**
   * settled() for many transfers with one waiter instead of a promise each (issue 13: a
   * command of 10,000 files held 10,000 promises and their closures until the last
   * settled): `each` hears every position of `ids` once, with its record, in the order
   * they settle. Resolves once all have; rejects with the first error, as Promise.all would.
   * `each` runs at once, inside the scheduler's own step (or this call, for one settled
   * already): it may record and print, never call back into the engine.
   */
  settledEach(ids: readonly string[], each: (index: number, record: TransferRecord) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = ids.length;
      if (left === 0) return resolve();
      let failed = false;
      // Positions by id; an id given twice (the same link twice) is heard at both.
      const at = new Map<string, number | number[]>();
      ids.forEach((id, index) => {
        const known = at.get(id);
        at.set(id, known === undefined ? index : Array.isArray(known) ? [...known, index] : [known, index]);
      });
      const waiter: Waiter = {
        resolve: (record, id) => {
          if (failed) return;
          const known = at.get(id)!;
          const positions = Array.isArray(known) ? known : [known];
          try {
            // `each` is the caller's: what it throws fails this wait, never the scheduler.
            for (const index of positions) each(index, record);
          } catch (error) {
            failed = true;
            return reject(error);
          }
          left -= positions.length;
          if (left === 0) resolve();
        },
        reject: (error) => {
          if (!failed) reject(error);
          failed = true;
        },
      };
      for (const id of at.keys()) this.whenSettled(id, waiter);
    });
  }

  /** `waiter` hears `id` settle: later if it is running or queued, else now from its record. */
  private whenSettled(id: string, waiter: Waiter): void {
    if (!this.closed && (this.running.has(id) || this.queue.has(id))) return this.waiters.listen(id, waiter);
    let record: TransferRecord | undefined;
    try {
      record = this.records.read(id);
    } catch (error) {
      return waiter.reject(this.closed ? new EngineClosedError(`transfer ${id} can no longer be read`) : (error as Error), id);
    }
    if (record) waiter.resolve(record, id);
    else waiter.reject(new Error(`no transfer ${id}`), id);
  }

  progress(id: string): { bytes: number; total: number | null } | null {
    const running = this.running.get(id);
    if (running) return running.task.progress();
    const record = this.records.read(id);
    return record ? { bytes: record.offset, total: record.total } : null;
  }

  activeProgress(): Array<{ id: string; bytes: number; total: number | null }> {
    return [...this.running.entries()].map(([id, r]) => ({ id, ...r.task.progress() }));
  }

  /**
   * Stops everything with a checkpoint; transfers that were running stay queued, and every
   * waiter is answered, also for a task that does not stop within the grace. Safe to call twice.
   */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.running.entries()];
    for (const [, r] of running) r.controller.abort(new StopRequest('queued'));
    if (!(await settlesWithin(Promise.all(running.map(([, r]) => r.done)), this.stopGraceMs))) {
      const stuck = running.map(([id]) => id).filter((id) => this.running.has(id));
      this.report(`${stuck.length} transfer(s) did not stop within ${this.stopGraceMs} ms of closing (${stuck.join(', ')}); those waiting for them get the last checkpoint`);
    }
    this.queue.clear();
    for (const id of this.waiters.ids()) this.settle(id);
  }

  // ---------------------------------------------------------------- running the queue

  private pump(): void {
    if (this.closed || this.suspended || this.offline || this.replacing || this.outsideHours) return;
    this.records.catchUp();
    const perHost = new Map<string, number>();
    for (const r of this.running.values()) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
    while (this.running.size < this.limits.maxActive) {
      const next = this.queue.takeNext(perHost, (host) => this.requests.limitFor(host));
      if (!next) break;
      // One that cannot start has failed by now and leaves its place to the next.
      if (this.launch(next)) perHost.set(next.host, (perHost.get(next.host) ?? 0) + 1);
    }
  }

  /** Starts one transfer; false when it could not. Never throws: a transfer that cannot start fails, saying why. */
  private launch(entry: Queued): boolean {
    let task: ScheduledTask;
    try {
      const record = this.ctx.store.get(entry.id);
      if (!record) {
        this.settle(entry.id); // removed while it waited
        return false;
      }
      task = this.createTask(record, this.ctx);
    } catch (error) {
      this.answer(entry.id, this.failTransfer(entry.id, transferFailureOf(error)), error);
      return false;
    }
    const controller = new AbortController();
    let run: Promise<TransferRecord>;
    try {
      run = task.run(controller.signal);
    } catch (error) {
      run = Promise.reject(error);
    }
    // `done` never rejects: finished() answers for everything, and anything it cannot is reported.
    const done = run
      .then(
        (final) => this.finished(entry.id, task, final, null),
        (error: unknown) => {
          this.ctx.log?.error('unexpected failure in a transfer', { id: entry.id, error });
          this.finished(entry.id, task, null, { error });
        },
      )
      .catch((error: unknown) => this.report(`the queue failed while transfer ${entry.id} ended`, error));
    this.running.set(entry.id, { task, controller, host: entry.host, done });
    this.emit({ type: 'state', id: entry.id, state: 'active' });
    return true;
  }

  /** A task ended: with its final record, or with what it threw. */
  private finished(id: string, task: ScheduledTask, final: TransferRecord | null, thrown: { error: unknown } | null): void {
    this.running.delete(id);
    try {
      let record: TransferRecord | undefined = final ?? undefined;
      // A bug or a failing store, not a transfer failure: the transfer says so and the queue goes on.
      if (thrown) record = this.failTransfer(id, transferFailureOf(thrown.error), task.record);
      // A task must leave a final state; if one did not, say so rather than wait forever.
      else if (!record || record.state === 'active') record = this.failTransfer(id, NO_RESULT, task.record);
      if (record?.state === 'queued' && !this.closed) this.queue.add(record);
      else this.answer(id, record, thrown?.error);
    } catch (error) {
      this.report(`could not take note that transfer ${id} ended`, error);
      this.answer(id, undefined, error);
    }
    this.pump();
    // Each transfer's garbage is behind it now: thousands of small uploads read no socket
    // bytes to pace collections by (core/collections.ts).
    lookAtHeap();
  }

  /**
   * Marks a transfer failed with `failure`, best effort when the store itself is failing,
   * and answers the record as it now is (undefined when none can be had).
   */
  private failTransfer(id: string, failure: TransferError, lastKnown?: TransferRecord): TransferRecord | undefined {
    let removed = false;
    try {
      removed = this.ctx.store.get(id) === undefined;
    } catch {
      // The store cannot be read; the write below says so.
    }
    if (removed) return lastKnown && { ...lastKnown, state: 'failed', error: REMOVED_WHILE_RUNNING };
    const record = this.records.write(id, { state: 'failed', error: failure }, lastKnown);
    this.emit({ type: 'state', id, state: 'failed' });
    if (record) this.emit({ type: 'ended', id, record });
    return record;
  }

  private async stop(ids: string[], state: 'paused' | 'canceled'): Promise<void> {
    const stopping: Array<Promise<unknown>> = [];
    const failed = this.eachId(ids, (id) => {
      const running = this.running.get(id);
      if (running) {
        running.controller.abort(new StopRequest(state));
        stopping.push(running.done);
        return;
      }
      this.queue.remove(id);
      const record = this.records.read(id);
      if (!record || record.state === 'completed' || record.state === 'canceled') return this.settle(id, record);
      if (state === 'paused' && record.state === 'failed') return this.settle(id, record); // nothing to pause
      this.answer(id, this.records.write(id, { state }, record));
      this.emit({ type: 'state', id, state });
    });
    await Promise.all(stopping);
    throwIfAny(failed, state === 'paused' ? 'pause' : 'cancel', ids.length);
  }

  private async requeueRunning(): Promise<void> {
    const running = [...this.running.values()];
    for (const r of running) r.controller.abort(new StopRequest('queued'));
    await Promise.all(running.map((r) => r.done));
  }

  private async restartOnFreshConnections(): Promise<void> {
    this.replacing = true;
    try {
      await this.requeueRunning();
      await this.ctx.transport.reset();
    } catch (error) {
      // Old sockets may linger until they time out; the transfers still resume on new requests.
      this.report('could not drop the connections from before the sleep or network change', error);
    } finally {
      this.replacing = false;
    }
    this.pump();
  }

  private reorder(): void {
    this.queue.reorder((id) => this.ctx.store.get(id));
    this.pump();
  }

  private setState(id: string, state: TransferState, extra: Partial<TransferRecord> = {}): void {
    this.ctx.store.update(id, { ...extra, state }, this.ctx.clock.now());
    this.emit({ type: 'state', id, state });
  }

  /** Answers the waiters of a transfer that settled; `known` is its record when the caller holds it. */
  private settle(id: string, known?: TransferRecord): void {
    if (!this.waiters.has(id)) return;
    let record = known;
    try {
      record ??= this.records.read(id);
    } catch (error) {
      return this.answer(id, undefined, error);
    }
    if (record && !SETTLED.has(record.state) && !this.closed) return;
    this.answer(id, record);
  }

  /** Gives the waiters `record`, or, when there is none, an error saying why. */
  private answer(id: string, record: TransferRecord | undefined, why?: unknown): void {
    if (record) return this.waiters.resolve(id, record);
    const reason = why === undefined ? 'it was removed' : `its record could not be read (${describeError(why)})`;
    this.waiters.reject(id, new EngineError(`transfer ${id} ended, but ${reason}`, { cause: why }));
  }

  /** Runs `step` for every id, even when one fails (the others still get their pause or removal); answers what failed. */
  private eachId(ids: string[], step: (id: string) => void): unknown[] {
    const failed: unknown[] = [];
    for (const id of ids) {
      try {
        step(id);
      } catch (error) {
        failed.push(error);
      }
    }
    return failed;
  }

  private emit(event: EngineEvent): void {
    try {
      this.ctx.emit(event);
    } catch (error) {
      this.report(`a listener failed on the engine's "${event.type}" event`, error);
    }
  }

  /** Tells the host about a failure that belongs to no one transfer; never throws. */
  private report(message: string, cause?: unknown): void {
    try {
      this.onEngineError(new EngineError(cause === undefined ? message : `${message}: ${describeError(cause)}`, { cause }));
    } catch {
      // A host whose error hook throws has nowhere left to hear it.
    }
  }
}

/** One error for the caller naming how many transfers a command could not act on, and the first reason. */
function throwIfAny(failed: unknown[], verb: string, of: number): void {
  if (failed.length > 0) throw new EngineError(`could not ${verb} ${failed.length} of ${of} transfer(s): ${describeError(failed[0])}`, { cause: failed[0] });
}
