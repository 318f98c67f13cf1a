import type { TransferRecord } from '../../common/transfer';
import type { Clock } from '../context';
import type { QueueEntry, TransferStore } from '../store/transfers';

interface Pending {
  changes: Partial<TransferRecord>;
  /** The record as it would read had the write succeeded. */
  record: TransferRecord;
}

/**
 * The queue's own writes to the store (a transfer failed, stopped, queued), made so that a
 * store that cannot take them (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR) loses nothing the
 * queue knows: the change is kept, the engine says why, waiters hear the record as it
 * would be, and the write is tried again at the queue's next turn.
 */
export class QueueRecords {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: TransferStore,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly report: (message: string, error: unknown) => void,
  ) {}

  /**
   * Writes `changes` and answers the record as it now stands; undefined when the transfer
   * is not in the store (removed) or could be read neither there nor from `lastKnown`.
   */
  write(id: string, changes: Partial<TransferRecord>, lastKnown?: TransferRecord): TransferRecord | undefined {
    const before = this.pending.get(id);
    try {
      this.store.update(id, { ...before?.changes, ...changes }, this.clock.now());
      this.pending.delete(id);
      return this.store.get(id);
    } catch (error) {
      const base = before?.record ?? lastKnown ?? this.tryRead(id);
      this.report(`could not record transfer ${id} as ${changes.state ?? 'changed'} (kept, and written once the store takes writes again)`, error);
      if (!base) return undefined;
      const record = { ...base, ...changes };
      this.pending.set(id, { changes: { ...before?.changes, ...changes }, record });
      return record;
    }
  }

  /** The record as the queue knows it: a change not yet written wins over the store. Throws what the store throws. */
  read(id: string): TransferRecord | undefined {
    return this.pending.get(id)?.record ?? this.store.get(id);
  }

  /** `read` for placing a transfer in the queue: its state and place, not the whole record. */
  entry(id: string): QueueEntry | undefined {
    return this.pending.get(id)?.record ?? this.store.queueEntry(id);
  }

  /** Someone asked for this transfer again (start, remove): an old unwritten change no longer applies. */
  forget(id: string): void {
    this.pending.delete(id);
  }

  /** Writes what the store refused before, oldest first; stops at the first refusal and tries again next time. */
  catchUp(): void {
    for (const [id, { changes }] of this.pending) {
      try {
        this.store.update(id, changes, this.clock.now());
      } catch {
        return; // still refused; it was reported when it first failed
      }
      this.pending.delete(id);
    }
  }

  private tryRead(id: string): TransferRecord | undefined {
    try {
      return this.store.get(id);
    } catch {
      return undefined;
    }
  }
}
