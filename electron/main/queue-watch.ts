import { formatSpeed } from '../common/format';
import { followQueue } from '../common/follow';
import type { ChangesEvent, Notice, TransferClient } from '../common/service';
import { type CountedRow, EMPTY_TOTALS, type Totals, countRow, totals } from '../common/queue-totals';

export interface QueueTotals {
  active: number;
  /** Waiting: queued or paused. */
  queued: number;
  /** Overall progress of the unfinished transfers whose size is known, 0..1; null when there are none. */
  progress: number | null;
  speed: number;
}

/**
 * The main process's own view of the queue, for what the OS shows outside the window:
 * dock/taskbar progress and badge, the tray's tooltip, the power blocker, notifications.
 */
export class QueueWatch {
  private readonly rows = new Map<string, CountedRow>();
  /** Kept from the rows each batch changes, as the window's store keeps its own. */
  private sums: Totals = { ...EMPTY_TOTALS };

  constructor(
    private readonly client: TransferClient,
    private readonly onTotals: (totals: QueueTotals) => void,
    private readonly onNotice: (notice: Notice) => void,
  ) {}

  async start(): Promise<void> {
    await followQueue(this.client, {
      snapshot: (snap) => {
        this.rows.clear();
        for (const t of snap.transfers) this.rows.set(t.id, { state: t.state, bytes: t.bytes, total: t.total, speed: t.speed });
        this.sums = totals(this.rows.values());
        this.onTotals(this.totals());
      },
      changes: (event) => this.apply(event),
      other: (event) => {
        if (event.type === 'notice') this.onNotice(event.notice);
      },
    });
  }

  totals(): QueueTotals {
    const { active, queued, paused, done, size, speed } = this.sums;
    return { active, queued: queued + paused, progress: size > 0 ? done / size : null, speed: Math.max(0, speed) };
  }

  static tooltip(totals: QueueTotals): string {
    if (totals.active === 0 && totals.queued === 0) return 'Ferry: nothing moving';
    return `Ferry: ${totals.active} active, ${totals.queued} waiting, ${formatSpeed(totals.speed)}`;
  }

  private apply(event: ChangesEvent): void {
    for (const id of event.removed) {
      const gone = this.rows.get(id);
      if (gone) countRow(this.sums, gone, -1);
      this.rows.delete(id);
    }
    for (const change of event.changes) {
      const previous = this.rows.get(change.id);
      if (previous) countRow(this.sums, previous, -1);
      const row = previous ?? { state: 'queued', bytes: 0, total: null, speed: 0 };
      const next: CountedRow = {
        state: change.state ?? row.state,
        bytes: change.bytes ?? row.bytes,
        total: change.total !== undefined ? change.total : row.total,
        speed: change.speed ?? row.speed,
      };
      countRow(this.sums, next, 1);
      this.rows.set(change.id, next);
    }
    this.onTotals(this.totals());
  }
}
