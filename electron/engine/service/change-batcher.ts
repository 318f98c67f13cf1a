import { SpeedMeter } from '../../common/format';
import type { ServiceEvent, TransferChange, TransferSummary } from '../../common/service';
import type { TransferRecord } from '../../common/transfer';
import { type LiveProgress, changedFields, summarize } from './summary';

/** What the batcher needs from the engine. */
export interface BatchSource {
  get(id: string): TransferRecord | undefined;
  list(): TransferRecord[];
  activeProgress(): Array<{ id: string; bytes: number; total: number | null }>;
}

/** Past this many touched transfers, one scan of the table beats one lookup each. */
const SCAN_THRESHOLD = 256;

/**
 * Coalesces everything that happens to transfers into at most one `changes` event per
 * interval (100 ms: ten a second), carrying only the fields that changed since the last
 * one. Thirty-two downloads moving at once are one small message per tick, not thirty-two
 * per chunk; ten thousand added at once are one message.
 */
export class ChangeBatcher {
  /** The rows as every client last heard them. */
  private readonly sent = new Map<string, TransferSummary>();
  /** The ids `sent` shows as active, so finding the ones that stopped needs no walk over every row. */
  private readonly sentActive = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly meters = new Map<string, SpeedMeter>();
  /** Why a running transfer is trying again, and the bytes it held then (-1 until sampled). */
  private readonly retries = new Map<string, { message: string; since: number; delayMs: number; bytes: number }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the last batch went out (performance.now()). */
  private lastPublished = -Infinity;
  private batch = 0;
  private closed = false;

  constructor(
    private readonly source: BatchSource,
    /** Milliseconds, for speeds and for when a retry began. */
    private readonly now: () => number,
    private readonly publish: (event: ServiceEvent) => void,
    private readonly intervalMs = 100,
    /** A batch that could not be built (the store failed a read): told, then tried again. */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Something about this transfer changed; it goes out with the next batch. */
  touch(id: string): void {
    this.dirty.add(id);
    this.arm();
  }

  /** A running transfer's attempt failed and it will try again: rows say so until bytes move. */
  retrying(id: string, message: string, delayMs: number): void {
    this.retries.set(id, { message, since: this.now(), delayMs, bytes: -1 });
    this.touch(id);
  }

  forget(id: string): void {
    this.dirty.delete(id);
    this.retries.delete(id);
    this.meters.delete(id);
    this.sentActive.delete(id);
    if (this.sent.delete(id)) this.removed.add(id);
    this.arm();
  }

  /**
   * Every row as it is now, and the number of the last batch it includes. Pending changes
   * go out first, so a client that applies later batches on top of this stays exact.
   */
  snapshot(): { transfers: TransferSummary[]; batch: number } {
    this.flush();
    const live = this.liveProgress();
    const transfers = this.source.list().map((record) => summarize(record, live.get(record.id) ?? null));
    for (const row of transfers) this.remember(row);
    return { transfers, batch: this.batch };
  }

  /** Sends what changed since the last batch, if anything did. */
  flush(): void {
    const live = this.liveProgress();
    const ids = new Set([...this.dirty, ...live.keys()]);
    // A transfer that stopped since the last tick: its speed and state go back to rest.
    for (const id of this.sentActive) if (!live.has(id)) ids.add(id);
    const lookup = this.lookup(ids);
    // Every read first: one that fails leaves every change pending for the next batch.
    const rows: TransferSummary[] = [];
    for (const id of ids) {
      const record = lookup(id);
      if (record) rows.push(summarize(record, live.get(id) ?? null));
    }
    const changes: TransferChange[] = [];
    for (const row of rows) {
      const changed = changedFields(this.sent.get(row.id), row);
      this.remember(row);
      if (changed) changes.push({ ...changed, id: row.id });
    }
    this.dirty.clear();
    const removed = [...this.removed];
    this.removed.clear();
    if (changes.length === 0 && removed.length === 0) return;
    this.batch++;
    this.lastPublished = performance.now();
    this.publish({ type: 'changes', batch: this.batch, changes, removed });
  }

  private remember(row: TransferSummary): void {
    this.sent.set(row.id, row);
    if (row.state === 'active') this.sentActive.add(row.id);
    else this.sentActive.delete(row.id);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Schedules the next batch no sooner than one interval after the last: a timer, not an
   * interval, so a late tick never bunches two batches together.
   */
  private arm(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastPublished + this.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      // Timers may fire a fraction of a millisecond early; the limit is kept exactly.
      if (performance.now() - this.lastPublished < this.intervalMs) return this.arm();
      try {
        this.flush();
      } catch (error) {
        // A timer's throw would end the process; the rows stay dirty and go with the next batch.
        this.onError(error);
        this.lastPublished = performance.now();
        return this.arm();
      }
      // Idle: nothing moving and nothing waiting to go out. The next touch re-arms.
      if (this.dirty.size > 0 || this.removed.size > 0 || this.meters.size > 0) this.arm();
    }, Math.ceil(wait));
  }

  /** Progress and speed of every running transfer, sampled once per batch. */
  private liveProgress(): Map<string, LiveProgress> {
    const now = this.now();
    const live = new Map<string, LiveProgress>();
    for (const { id, bytes, total } of this.source.activeProgress()) {
      let meter = this.meters.get(id);
      if (!meter) this.meters.set(id, (meter = new SpeedMeter(3000)));
      meter.add(now, bytes);
      const retry = this.retries.get(id);
      if (retry && retry.bytes < 0) retry.bytes = bytes;
      else if (retry && bytes > retry.bytes) this.retries.delete(id);
      const still = this.retries.get(id);
      live.set(id, { bytes, total, speed: meter.rate(), retrying: still ? { message: still.message, since: still.since, delayMs: still.delayMs } : null });
    }
    for (const id of this.meters.keys()) if (!live.has(id)) this.meters.delete(id);
    for (const id of this.retries.keys()) if (!live.has(id)) this.retries.delete(id);
    if (live.size > 0) this.arm();
    return live;
  }

  private lookup(ids: Set<string>): (id: string) => TransferRecord | undefined {
    if (ids.size < SCAN_THRESHOLD) return (id) => this.source.get(id);
    const all = new Map(this.source.list().map((r) => [r.id, r]));
    return (id) => all.get(id);
  }
}
