import * as fs from 'node:fs';
import * as path from 'node:path';
import { transferError } from '../../common/errors';
import type { TransferRecord, TransferState } from '../../common/transfer';
import { type EngineContext, StopRequest } from '../context';
import { PARTIAL_SUFFIX } from '../download/live-partial';
import type { RequestLimiter } from './request-limiter';
import type { Limits } from './limits';

export { DEFAULT_LIMITS, type Limits } from './limits';

export type Placement = 'top' | 'up' | 'down' | 'bottom';

/**
 * What the queue needs of a running transfer (DownloadTask and UploadTask are such tasks):
 * the queue starts it, asks how far it got, and reads its last record when it ends badly.
 */
export interface ScheduledTask {
  run(signal: AbortSignal): Promise<TransferRecord>;
  progress(): { bytes: number; total: number | null };
  readonly record: TransferRecord;
}

/**
 * Makes the task that runs a record. The engine passes the one that knows the task
 * classes, so the queue imports none of them (and tests can give it tasks of their own).
 */
export type TaskFactory = (record: TransferRecord, ctx: EngineContext) => ScheduledTask;

interface Queued {
  id: string;
  priority: number;
  seq: number;
  host: string;
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
 */
export class Scheduler {
  private readonly queue: Queued[] = [];
  /** The ids in `queue`, for membership tests on queues of thousands. */
  private readonly queuedIds = new Set<string>();
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Array<(record: TransferRecord) => void>>();
  private limits: Limits;
  private suspended = false;
  private offline = false;
  /** Nothing starts while connections are being replaced (wake, online). */
  private replacing = false;
  private closed = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly requests: RequestLimiter,
    limits: Limits,
    private readonly createTask: TaskFactory,
  ) {
    this.limits = limits;
    this.requests.setMaxPerHost(limits.maxPerHost);
    this.ctx.bandwidth.setRate(limits.bandwidth);
  }

  get currentLimits(): Limits {
    return { ...this.limits };
  }

  /**
   * Queues transfers to run: resumes paused ones, retries failed or canceled ones. A
   * completed transfer is left alone.
   */
  start(ids: string[]): void {
    for (const id of ids) {
      if (this.running.has(id) || this.queuedIds.has(id)) continue;
      const record = this.ctx.store.get(id);
      if (!record || record.state === 'completed') continue;
      if (record.state !== 'queued') this.setState(id, 'queued', { error: null });
      this.enqueue(record);
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
    for (const id of ids) {
      const record = this.ctx.store.get(id);
      if (record?.state === 'canceled') this.discardPartial(record);
    }
  }

  /**
   * Forgets transfers. Partial files always go (nothing could resume them); a downloaded
   * file goes only when `deleteFiles` says so. An upload's file is the person's own and is
   * never deleted.
   */
  async remove(ids: string[], options: { deleteFiles: boolean }): Promise<void> {
    await this.stop(ids, 'canceled');
    for (const id of ids) {
      const record = this.ctx.store.get(id);
      if (!record) continue;
      this.discardPartial(record);
      if (options.deleteFiles && record.direction === 'download' && record.state === 'completed' && record.path) fs.rmSync(record.path, { force: true });
      this.ctx.store.remove(id);
      this.ctx.emit({ type: 'removed', id });
    }
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
      for (const id of newestFirst) this.running.get(id)!.controller.abort(new StopRequest('queued'));
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

  /** Resolves when the transfer settles (completed, failed, canceled, paused) or the engine closes. */
  settled(id: string): Promise<TransferRecord> {
    const pending = this.running.has(id) || this.queuedIds.has(id);
    if (pending && !this.closed) return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
    const record = this.ctx.store.get(id);
    return record ? Promise.resolve(record) : Promise.reject(new Error(`no transfer ${id}`));
  }

  progress(id: string): { bytes: number; total: number | null } | null {
    const running = this.running.get(id);
    if (running) return running.task.progress();
    const record = this.ctx.store.get(id);
    return record ? { bytes: record.offset, total: record.total } : null;
  }

  activeProgress(): Array<{ id: string; bytes: number; total: number | null }> {
    return [...this.running.entries()].map(([id, r]) => ({ id, ...r.task.progress() }));
  }

  /** Stops everything with a checkpoint; transfers that were running stay queued. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.requeueRunning();
    this.queue.length = 0;
    this.queuedIds.clear();
    for (const id of [...this.waiters.keys()]) this.settle(id);
  }

  // ---------------------------------------------------------------- running the queue

  private pump(): void {
    if (this.closed || this.suspended || this.offline || this.replacing) return;
    const perHost = new Map<string, number>();
    for (const r of this.running.values()) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
    for (let i = 0; i < this.queue.length && this.running.size < this.limits.maxActive; ) {
      const next = this.queue[i]!;
      // A host at its limit would only make the transfer wait for a request slot.
      if ((perHost.get(next.host) ?? 0) >= this.limits.maxPerHost) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.queuedIds.delete(next.id);
      perHost.set(next.host, (perHost.get(next.host) ?? 0) + 1);
      this.launch(next);
    }
  }

  private launch(entry: Queued): void {
    const record = this.ctx.store.get(entry.id);
    if (!record) return;
    const task = this.createTask(record, this.ctx);
    const controller = new AbortController();
    const done = task.run(controller.signal).then(
      (final) => this.finished(entry.id, final),
      (error: unknown) => {
        // A bug, not a transfer failure: the transfer says so and the queue goes on.
        const message = `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
        this.setState(entry.id, 'failed', { error: transferError('internal', message, false) });
        this.finished(entry.id, this.ctx.store.get(entry.id)!);
      },
    );
    this.running.set(entry.id, { task, controller, host: entry.host, done });
    this.ctx.emit({ type: 'state', id: entry.id, state: 'active' });
  }

  private finished(id: string, record: TransferRecord): void {
    this.running.delete(id);
    if (record.state === 'active') {
      // A task must leave a final state; if one did not, say so rather than wait forever.
      this.setState(id, 'failed', { error: transferError('internal', 'Unexpected failure: the transfer stopped without a result.', false) });
      this.settle(id);
    } else if (record.state === 'queued' && !this.closed) this.enqueue(record);
    else this.settle(id, record);
    this.pump();
  }

  private async stop(ids: string[], state: 'paused' | 'canceled'): Promise<void> {
    const stopping: Array<Promise<unknown>> = [];
    for (const id of ids) {
      const running = this.running.get(id);
      if (running) {
        running.controller.abort(new StopRequest(state));
        stopping.push(this.settled(id));
        continue;
      }
      if (this.queuedIds.delete(id)) this.queue.splice(this.queue.findIndex((q) => q.id === id), 1);
      const record = this.ctx.store.get(id);
      if (!record || record.state === 'completed' || record.state === 'canceled') continue;
      if (state === 'paused' && record.state === 'failed') continue; // nothing to pause
      this.setState(id, state);
      this.settle(id);
    }
    await Promise.all(stopping);
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
    } finally {
      this.replacing = false;
    }
    this.pump();
  }

  private enqueue(record: TransferRecord): void {
    const entry: Queued = { id: record.id, priority: record.priority, seq: record.seq, host: hostOf(record) };
    // Binary search for the place: priority high to low, then first come first served.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.queue[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, entry);
    this.queuedIds.add(entry.id);
  }

  private reorder(): void {
    for (const entry of this.queue) {
      const record = this.ctx.store.get(entry.id);
      if (record) Object.assign(entry, { priority: record.priority, seq: record.seq });
    }
    this.queue.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    this.pump();
  }

  private setState(id: string, state: TransferState, extra: Partial<TransferRecord> = {}): void {
    this.ctx.store.update(id, { ...extra, state }, this.ctx.clock.now());
    this.ctx.emit({ type: 'state', id, state });
  }

  /** Resolves the waiters of a settled transfer; `known` is its record when the caller holds it. */
  private settle(id: string, known?: TransferRecord): void {
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    const record = known ?? this.ctx.store.get(id);
    if (!record || (!SETTLED.has(record.state) && !this.closed)) return;
    this.waiters.delete(id);
    for (const resolve of waiting) resolve(record);
  }

  private discardPartial(record: TransferRecord): void {
    if (record.direction === 'upload') {
      // An upload's partial lives on the server; forgetting its URL lets it expire there.
      if (record.state !== 'completed') this.ctx.store.reset(record.id, { uploadUrl: null, fingerprint: null, sentUpTo: 0 }, this.ctx.clock.now());
      return;
    }
    if (!record.name || record.state === 'completed') return;
    fs.rmSync(path.join(record.dir, record.name + PARTIAL_SUFFIX), { force: true });
    this.ctx.store.reset(record.id, {}, this.ctx.clock.now());
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function hostOf(record: TransferRecord): string {
  try {
    return new URL(record.effectiveUrl ?? record.url).host;
  } catch {
    return '';
  }
}
