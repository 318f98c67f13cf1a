import type { TransferError } from '../../common/errors';
import type { HistoryKind, TransferRecord, TransferState } from '../../common/transfer';
import { type EngineContext, StopRequest } from '../context';
import { classifyFailure } from '../core/failure';
import { unsealHeaders } from '../secrets';
import type { BatchOptions } from '../store/write-batch';
import { runAttempts } from './attempt-loop';

/**
 * What a download and an upload share: the record as this task knows it, kept in step
 * with the store, its history, the one attempt loop, and how a transfer ends: a verdict,
 * a failure, or a stop that leaves the state its reason asks for.
 */
export abstract class TransferTask {
  /** The record as this task knows it, kept in step with the store by `save`. */
  rec: TransferRecord;

  constructor(
    readonly ctx: EngineContext,
    record: TransferRecord,
  ) {
    this.rec = record;
  }

  get record(): TransferRecord {
    return this.rec;
  }

  abstract progress(): { bytes: number; total: number | null };

  /** One try at the transfer (see AttemptHooks.attempt). */
  protected abstract attempt(signal: AbortSignal): Promise<boolean>;

  /** A change of plan thrown by an attempt (see AttemptHooks.recover); none by default. */
  protected recover(_error: unknown, _signal: AbortSignal): Promise<boolean> {
    return Promise.resolve(false);
  }

  /**
   * Marks the transfer active as it starts, in memory only: 'active' means something only
   * while this process runs (the scheduler is the authority on what runs), the scheduler
   * already stored it as queued with no error when it was started, and after a crash it is
   * queued again anyway. One write less per file (issue 13).
   */
  protected begin(): void {
    this.rec = { ...this.rec, state: 'active', error: null };
  }

  /** Before a stop is recorded: the last checkpoint. */
  protected beforeStop(): Promise<void> {
    return Promise.resolve();
  }

  /** Releases files, sessions and connections; runs once, however the run ended. */
  protected cleanup(): Promise<void> {
    return Promise.resolve();
  }

  protected classify(error: unknown): TransferError {
    const failure = classifyFailure(error, { dir: this.rec.dir });
    // A bug, not a network or disk failure: its stack goes to the log for whoever fixes it.
    if (failure.code === 'internal') this.ctx.log?.error('unexpected failure in a transfer', { id: this.rec.id, error });
    return failure;
  }

  /**
   * Runs until the transfer reaches its end, fails, or `signal` stops it. A stop leaves a
   * checkpoint and the state its reason asks for (a StopRequest), else `paused`.
   */
  async run(signal: AbortSignal): Promise<TransferRecord> {
    this.begin();
    try {
      await this.openHeaders();
      const failure = await runAttempts(
        {
          attempt: () => this.attempt(signal),
          recover: (error) => this.recover(error, signal),
          progress: () => this.progress().bytes,
          describe: () => this.rec.name ?? this.rec.url,
          classify: (error) => this.classify(error),
          retrying: (error, delayMs) => {
            this.history('retry', { error, delayMs, offset: this.progress().bytes });
            this.ctx.emit({ type: 'retrying', id: this.rec.id, error, delayMs });
          },
        },
        signal,
        this.ctx.clock,
        this.ctx.tuning,
      );
      return failure ? this.fail(failure) : this.rec;
    } catch (error) {
      if (!signal.aborted) return this.fail(this.classify(error));
      await this.beforeStop().catch(() => undefined);
      const state: TransferState = signal.reason instanceof StopRequest ? signal.reason.state : 'paused';
      this.save({ state });
      return this.rec;
    } finally {
      await this.cleanup().catch(() => undefined);
    }
  }

  /**
   * Opens sealed header values for the requests of this run. The opened values live in
   * this task's memory only; the store keeps them sealed.
   */
  protected async openHeaders(): Promise<void> {
    this.rec = { ...this.rec, headers: await unsealHeaders(this.ctx.secrets, this.rec.headers) };
  }

  /**
   * Writes `changes` to the store and to the record this task holds. A transfer removed
   * while it runs throws here, so it ends as removed (its history waits in the batch and
   * no longer breaks a foreign key to say so).
   */
  save(changes: Partial<TransferRecord>): void {
    const now = this.ctx.clock.now();
    if (!this.ctx.store.update(this.rec.id, changes, now)) throw new Error(`transfer ${this.rec.id} is no longer in the store`);
    this.rec = { ...this.rec, ...changes, updatedAt: now };
  }

  /** Takes changes the store already holds (written by a transaction of the caller's own). */
  adopt(changes: Partial<TransferRecord>): void {
    this.rec = { ...this.rec, ...changes, updatedAt: this.ctx.clock.now() };
  }

  /**
   * Writes `changes` with the store's next batch (store/write-batch.ts), and to the record
   * this task holds at once. Only for a write whose loss to a crash is harmless.
   */
  saveLater(changes: Partial<TransferRecord>, clearBlocks = false): void {
    const now = this.ctx.clock.now();
    this.ctx.store.updateLater(this.rec.id, changes, now, clearBlocks);
    this.rec = { ...this.rec, ...changes, updatedAt: now };
  }

  /**
   * A write-before-act that can wait one turn of the loop: written with the store's batch,
   * so the files of one turn share a commit; the caller acts only once it resolves
   * (store/write-batch.ts). The record this task holds has the changes at once, as the
   * store's reads do.
   */
  saveInBatch(changes: Partial<TransferRecord>, options?: BatchOptions): Promise<void> {
    const now = this.ctx.clock.now();
    const written = this.ctx.store.updateInBatch(this.rec.id, changes, now, options);
    this.rec = { ...this.rec, ...changes, updatedAt: now };
    // The caller awaits it and hears a refusal; but a write it makes before that await (a
    // segment plan carrying the batch, a history row) can throw first and leave it unheard,
    // and an unhandled rejection ends a CLI (found in review).
    written.catch(() => undefined);
    return written;
  }

  /** The journal of what happened: it waits for the store's next batch (store/write-batch.ts). */
  history(kind: HistoryKind, detail: Record<string, unknown>): void {
    this.ctx.store.addHistoryLater(this.rec.id, kind, detail, this.ctx.clock.now());
  }

  protected fail(error: TransferError): TransferRecord {
    this.history('error', { ...error });
    this.save({ state: 'failed', error });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
    return this.rec;
  }
}
