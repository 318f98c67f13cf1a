import { followQueue } from '../common/follow';
import type { ChangesEvent, Notice, TransferClient } from '../common/service';
import { type CountedRow, EMPTY_TOTALS, type Totals, countRow, totals } from '../common/queue-totals';
import type { Direction } from '../common/transfer';

/** What the shell shows outside the window is decided from these (tray-menu.ts, taskbar.ts, quit-prompt.ts). */
export interface QueueTotals {
  /** Moving now. */
  active: number;
  /** Of those, uploads (the rest are downloads). */
  activeUploads: number;
  /** Waiting their turn. */
  queued: number;
  /** Stopped by a person until resumed. */
  paused: number;
  /** Overall progress of the unfinished transfers whose size is known, 0..1; null when there are none. */
  progress: number | null;
  /** Bytes per second of everything moving. */
  speed: number;
  /**
   * Transfers that failed since the queue was last idle (nothing active, queued or
   * paused): the run that is going on. A run that is over starts the count again.
   */
  failedThisRun: number;
}

type WatchedRow = CountedRow & { direction: Direction };

/**
 * The main process's own view of the queue, for what the OS shows outside the window:
 * dock/taskbar progress and badge, the tray, the power blocker, the quit question,
 * notifications. It keeps sums from the rows each batch changes, as the window's store does.
 */
export class QueueWatch {
  private readonly rows = new Map<string, WatchedRow>();
  private sums: Totals = { ...EMPTY_TOTALS };
  private activeUploads = 0;
  private failedThisRun = 0;
  private stop: (() => void) | null = null;

  constructor(
    private readonly client: TransferClient,
    private readonly onTotals: (totals: QueueTotals) => void,
    private readonly onNotice: (notice: Notice) => void,
  ) {}

  async start(): Promise<void> {
    this.stop = await followQueue(this.client, {
      snapshot: (snap) => {
        this.rows.clear();
        for (const t of snap.transfers) this.rows.set(t.id, { direction: t.direction, state: t.state, bytes: t.bytes, total: t.total, speed: t.speed });
        this.sums = totals(this.rows.values());
        this.activeUploads = [...this.rows.values()].filter((r) => r.state === 'active' && r.direction === 'upload').length;
        this.endRunWhenIdle();
        this.onTotals(this.totals());
      },
      changes: (event) => this.apply(event),
      other: (event) => {
        if (event.type === 'notice') this.onNotice(event.notice);
      },
    });
  }

  /** Stops listening; safe to call twice, or before start() has finished. */
  dispose(): void {
    this.stop?.();
    this.stop = null;
  }

  totals(): QueueTotals {
    const { active, queued, paused, done, size, speed } = this.sums;
    return { active, activeUploads: this.activeUploads, queued, paused, progress: size > 0 ? done / size : null, speed: Math.max(0, speed), failedThisRun: this.failedThisRun };
  }

  private count(row: WatchedRow, sign: 1 | -1): void {
    countRow(this.sums, row, sign);
    if (row.state === 'active' && row.direction === 'upload') this.activeUploads += sign;
  }

  private apply(event: ChangesEvent): void {
    for (const id of event.removed) {
      const gone = this.rows.get(id);
      if (gone) this.count(gone, -1);
      this.rows.delete(id);
    }
    for (const change of event.changes) {
      const previous = this.rows.get(change.id);
      if (previous) this.count(previous, -1);
      const row = previous ?? { direction: change.direction ?? 'download', state: 'queued', bytes: 0, total: null, speed: 0 };
      const next: WatchedRow = {
        direction: change.direction ?? row.direction,
        state: change.state ?? row.state,
        bytes: change.bytes ?? row.bytes,
        total: change.total !== undefined ? change.total : row.total,
        speed: change.speed ?? row.speed,
      };
      if (next.state === 'failed' && row.state !== 'failed') this.failedThisRun++;
      this.count(next, 1);
      this.rows.set(change.id, next);
    }
    this.endRunWhenIdle();
    this.onTotals(this.totals());
  }

  private endRunWhenIdle(): void {
    if (this.sums.active + this.sums.queued + this.sums.paused === 0) this.failedThisRun = 0;
  }
}
