import type { HistoryKind, TransferRecord } from '../../common/transfer';

/** One transfer's changes waiting for the batch. */
interface DeferredUpdate {
  changes: Partial<TransferRecord>;
  /** When the latest of them was made (the row's updated_at). */
  at: number;
  /** Its block digests and segments go too (before the rest of its changes). */
  clearBlocks: boolean;
  /** The folder and name it claims (`dir` NUL `name`), already claimed for nameClaimed. */
  claim?: string;
}

/** What else an update in the batch does. */
export interface BatchOptions {
  /** The block digests and segments go too, before the changes. */
  clearBlocks?: boolean;
  /** The folder in which `changes.name` is claimed: other transfers see it claimed at once. */
  claimIn?: string;
}

const claimKey = (dir: string, name: string): string => `${dir}\0${name}`;

interface DeferredHistory {
  id: string;
  at: number;
  kind: HistoryKind;
  detail: string;
}

/** Someone waiting for the batch to be written before acting on it. */
interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What a batch held when it was taken for writing. */
export interface BatchContents {
  updates: Map<string, DeferredUpdate>;
  history: DeferredHistory[];
  waiters: Waiter[];
}

/**
 * Writes that may wait, gathered across transfers and written in one transaction at the
 * next turn of the event loop, or sooner by any write that may not wait (which carries
 * the batch in its own transaction, the batch first, so the order of writes to a row is
 * the order they were made). Thousands of small files each made several commits of their
 * own; with the batch, what one turn of the loop leaves costs one (issue 13).
 *
 * Only a write whose loss to a crash (kill -9, power cut) is harmless may wait:
 *  - history rows: the journal of what happened, never what decides a resume;
 *  - a download's completion after its file took its final name (state completed, the
 *    block digests and segments dropped): the verdict and the final path were written
 *    before the file was placed, so a run after a crash that lost the completion proves the
 *    file at the recorded path by hashing it again and completes it (finalize.ts,
 *    resumePlacement), without downloading a byte or placing a second copy.
 *
 * Write-before-act: each is written, with the batch, before the act. Most are written at
 * once (TransferStore.update and friends carry the batch in their transaction); the three
 * that every file makes, its start, its verdict and its final path, go in the batch of
 * their turn through `written()` (TransferStore.updateInBatch), and the act (creating the
 * partial, linking it, unlinking it) waits until that batch is committed, so the files of
 * one turn share a commit and none acts before its write. A batch the store refuses
 * rejects them: the act never happens. A name a start claims is claimed at once (`claims`).
 *
 *  - the start of a body (the name claimed, validators, total, URL chain, cleared digests,
 *    the segment plan), before the partial is created or truncated: a crash finds the
 *    partial named by its record and knows what it holds (rule 7);
 *  - a checkpoint, after the fsync of the bytes it describes and before anything cuts the
 *    partial (rule 10: file >= checkpoint);
 *  - a reset (offset 0, no digests), before the partial is removed or truncated;
 *  - the verdict (SHA-256, integrity, total), before the partial is linked to its final
 *    name: a crash after the link must find what proves the bytes, else it would download
 *    again and place a second copy;
 *  - the final path, before the partial's name is removed: a crash after the unlink must
 *    find where the file went;
 *  - every state the queue sets (failed, paused, canceled, queued) and anything a person
 *    asked for (priority, order, removal), so that what is shown is what a restart finds;
 *  - an upload's completion (its verdict and state), in the batch of its turn through
 *    `written()`, before it is said: a crash before that commit is as one before the
 *    server's answer was read (upload-task.ts completeWith).
 *
 * A batch the store refuses (SQLITE_FULL, SQLITE_IOERR) stays, is reported, and goes with
 * the next write; reads see it in the meantime (TransferStore overlays it). Closing the
 * store writes it.
 */
export class WriteBatch {
  private updates = new Map<string, DeferredUpdate>();
  private history: DeferredHistory[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;

  /**
   * `write` writes what the batch holds (TransferStore.flush); `report` hears a batch the
   * store refused at the turn of the loop (it stays for the next write).
   */
  constructor(
    private readonly write: () => void,
    private readonly report: (error: unknown) => void,
    /** Hears the waiters of each commit: they act once it is on disk (durable-commits.ts). */
    private readonly onDisk: (waiters: Waiter[]) => void = (waiters) => {
      for (const waiter of waiters) waiter.resolve();
    },
  ) {}

  get empty(): boolean {
    return this.updates.size === 0 && this.history.length === 0;
  }

  update(id: string, changes: Partial<TransferRecord>, now: number, options: BatchOptions = {}): void {
    const clearBlocks = options.clearBlocks ?? false;
    const claim = options.claimIn !== undefined && changes.name ? claimKey(options.claimIn, changes.name) : undefined;
    const entry = this.updates.get(id);
    if (entry) {
      // The digests and segments are other tables than the changes: clearing them first is
      // the same as clearing them in between (a checkpoint's blocks come after: it carries the batch).
      Object.assign(entry.changes, changes);
      entry.at = now;
      entry.clearBlocks ||= clearBlocks;
      if (claim) entry.claim = claim;
    } else {
      this.updates.set(id, { changes: { ...changes }, at: now, clearBlocks, ...(claim ? { claim } : {}) });
    }
    this.schedule();
  }

  /** Whether a name in a folder is claimed by an update still waiting here (other than `except`'s). */
  claims(dir: string, name: string, except?: string): boolean {
    const key = claimKey(dir, name);
    for (const [id, entry] of this.updates) if (entry.claim === key && id !== except) return true;
    return false;
  }

  addHistory(id: string, kind: HistoryKind, detail: Record<string, unknown>, now: number): void {
    this.history.push({ id, at: now, kind, detail: JSON.stringify(detail) });
    this.schedule();
  }

  /**
   * Settles once what the batch holds now is written (resolves) or refused (rejects): for a
   * write-before-act that can wait one turn of the loop, so that the files of one turn
   * share one commit and each acts only after it.
   */
  written(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** The changes waiting for `id`, if any, as `get` should see them. */
  pending(id: string): DeferredUpdate | undefined {
    return this.updates.get(id);
  }

  /** Whether history rows for `id` wait. */
  holdsHistory(id: string): boolean {
    return this.history.some((h) => h.id === id);
  }

  /** Takes everything waiting, for one transaction; `restore` gives it back if that fails. */
  take(): BatchContents {
    const taken = { updates: this.updates, history: this.history, waiters: this.waiters };
    this.updates = new Map();
    this.history = [];
    this.waiters = [];
    return taken;
  }

  /** `taken` is committed: those waiting for it act once it is on disk. */
  committed(taken: BatchContents): void {
    this.onDisk(taken.waiters);
  }

  /**
   * A transaction that carried `taken` failed: its writes wait again, before anything added
   * since (they are written with the next write); those waiting for them hear `error` and
   * do not act.
   */
  restore(taken: BatchContents, error: unknown): void {
    for (const waiter of taken.waiters) waiter.reject(error);
    for (const [id, later] of this.updates) {
      const earlier = taken.updates.get(id);
      if (!earlier) taken.updates.set(id, later);
      else {
        const claim = later.claim ?? earlier.claim;
        taken.updates.set(id, { changes: { ...earlier.changes, ...later.changes }, at: later.at, clearBlocks: earlier.clearBlocks || later.clearBlocks, ...(claim ? { claim } : {}) });
      }
    }
    this.updates = taken.updates;
    this.history = [...taken.history, ...this.history];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.empty) return;
      try {
        this.write();
      } catch (error) {
        this.report(error);
      }
    });
  }
}
