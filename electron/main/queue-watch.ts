import { formatSpeed } from '../common/format';
import { followQueue } from '../common/follow';
import type { ChangesEvent, Notice, TransferClient } from '../common/service';
import type { TransferState } from '../common/transfer';

interface Row {
  state: TransferState;
  bytes: number;
  total: number | null;
  speed: number;
}

export interface QueueTotals {
  active: number;
  queued: number;
  /** Overall progress of what is unfinished, 0..1; null when nothing is (or the sizes are unknown). */
  progress: number | null;
  speed: number;
}

/**
 * The main process's own view of the queue, for what the OS shows outside the window:
 * dock/taskbar progress and badge, the tray's tooltip, the power blocker, notifications.
 */
export class QueueWatch {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly client: TransferClient,
    private readonly onTotals: (totals: QueueTotals) => void,
    private readonly onNotice: (notice: Notice) => void,
  ) {}

  async start(): Promise<void> {
    await followQueue(this.client, {
      snapshot: (snap) => {
        for (const t of snap.transfers) this.rows.set(t.id, { state: t.state, bytes: t.bytes, total: t.total, speed: t.speed });
        this.onTotals(this.totals());
      },
      changes: (event) => this.apply(event),
      other: (event) => {
        if (event.type === 'notice') this.onNotice(event.notice);
      },
    });
  }

  totals(): QueueTotals {
    let active = 0;
    let queued = 0;
    let done = 0;
    let size = 0;
    let known = true;
    let speed = 0;
    for (const row of this.rows.values()) {
      if (row.state === 'active') active++;
      else if (row.state === 'queued') queued++;
      else continue;
      speed += row.speed;
      if (row.total === null) known = false;
      else {
        size += row.total;
        done += Math.min(row.bytes, row.total);
      }
    }
    const progress = active + queued === 0 || !known || size === 0 ? null : done / size;
    return { active, queued, progress, speed };
  }

  static tooltip(totals: QueueTotals): string {
    if (totals.active === 0 && totals.queued === 0) return 'Ferry: nothing moving';
    return `Ferry: ${totals.active} active, ${totals.queued} queued, ${formatSpeed(totals.speed)}`;
  }

  private apply(event: ChangesEvent): void {
    for (const id of event.removed) this.rows.delete(id);
    for (const change of event.changes) {
      const row = this.rows.get(change.id) ?? { state: 'queued', bytes: 0, total: null, speed: 0 };
      this.rows.set(change.id, {
        state: change.state ?? row.state,
        bytes: change.bytes ?? row.bytes,
        total: change.total !== undefined ? change.total : row.total,
        speed: change.speed ?? row.speed,
      });
    }
    this.onTotals(this.totals());
  }
}
