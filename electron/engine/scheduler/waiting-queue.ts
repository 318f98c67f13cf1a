import type { QueueEntry } from '../store/transfers';

/** A transfer waiting for its turn: a few fields, so a queue of thousands stays small. */
export interface Queued {
  id: string;
  priority: number;
  seq: number;
  host: string;
}

/** Taken entries left before `head` are dropped once they are this many and half the array. */
const COMPACT_AT = 1024;

/**
 * Transfers waiting for their turn, in order: priority high to low, then first come first
 * served. The front is taken by moving `head`, not by removing the first element: shift()
 * and splice() copy every entry behind it whenever V8 cannot move the array's start (while
 * the collector marks, for one), which made each take of a 2,000-entry queue cost tens of
 * microseconds (issue 13).
 */
export class WaitingQueue {
  private entries: Queued[] = [];
  /** Entries before this index were taken. */
  private head = 0;
  /** The ids in `entries`, for membership tests on queues of thousands. */
  private readonly ids = new Set<string>();

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(record: QueueEntry): void {
    const entry: Queued = { id: record.id, priority: record.priority, seq: record.seq, host: hostOf(record) };
    // Binary search for the place.
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.entries[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.entries.length) this.entries.push(entry);
    else this.entries.splice(lo, 0, entry);
    this.ids.add(entry.id);
  }

  remove(id: string): void {
    if (!this.ids.delete(id)) return;
    this.compact(true);
    this.entries.splice(this.entries.findIndex((q) => q.id === id), 1);
  }

  clear(): void {
    this.entries.length = 0;
    this.head = 0;
    this.ids.clear();
  }

  /**
   * Takes the first transfer whose host has room: a host already at its limit (as
   * counted in `perHost`) would only make its transfer wait for a request slot, so the ones
   * behind it go first. Undefined when none may start.
   */
  takeNext(perHost: ReadonlyMap<string, number>, limitFor: (host: string) => number): Queued | undefined {
    for (let at = this.head; at < this.entries.length; at++) {
      const entry = this.entries[at]!;
      if ((perHost.get(entry.host) ?? 0) >= limitFor(entry.host)) continue;
      if (at === this.head) this.head++;
      else this.entries.splice(at, 1);
      this.ids.delete(entry.id);
      this.compact(false);
      return entry;
    }
    return undefined;
  }

  /** Drops the taken entries before `head`: always (`now`), or once they are many and most of the array. */
  private compact(now: boolean): void {
    if (this.head === 0 || (!now && (this.head < COMPACT_AT || this.head * 2 < this.entries.length))) return;
    this.entries = this.entries.slice(this.head);
    this.head = 0;
  }

  /** Reads each transfer's priority and place again (a move, a new priority) and sorts. */
  reorder(read: (id: string) => { priority: number; seq: number } | undefined): void {
    this.compact(true);
    for (const entry of this.entries) {
      const record = read(entry.id);
      if (record) Object.assign(entry, { priority: record.priority, seq: record.seq });
    }
    this.entries.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function hostOf(record: QueueEntry): string {
  try {
    return new URL(record.effectiveUrl ?? record.url).host;
  } catch {
    return '';
  }
}
