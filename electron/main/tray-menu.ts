/**
 * What the tray shows: its tooltip and its menu, from the queue's totals. Pure: tray.ts
 * turns the model into Electron's Menu, and rebuilds it only when the model changed
 * (rebuilding closes an open menu on some desktops, so the menu holds nothing that changes
 * ten times a second: the speed is in the tooltip only).
 */
import { formatSpeed } from '../common/format';
import type { QueueTotals } from './queue-watch';

export type TrayAction = 'show' | 'pause-all' | 'resume-all' | 'quit';

export type TrayItem = { type: 'separator' } | { type: 'status'; label: string } | { type: 'action'; action: TrayAction; label: string; enabled: boolean };

export interface TrayModel {
  tooltip: string;
  items: TrayItem[];
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 moving, 1 waiting, 3 paused"; "Nothing to do" when the queue is idle. */
function queueLine(totals: QueueTotals): string {
  const parts: string[] = [];
  if (totals.active > 0) parts.push(`${totals.active} moving`);
  if (totals.queued > 0) parts.push(`${totals.queued} waiting`);
  if (totals.paused > 0) parts.push(`${totals.paused} paused`);
  if (totals.failedThisRun > 0) parts.push(`${plural(totals.failedThisRun, 'failure')} in this run`);
  return parts.length > 0 ? parts.join(', ') : 'Nothing to do';
}

export function trayTooltip(totals: QueueTotals): string {
  const line = queueLine(totals);
  return totals.active > 0 ? `Ferry: ${line} at ${formatSpeed(totals.speed)}` : `Ferry: ${line}`;
}

/**
 * The menu: where the queue stands (not clickable), then Show, Pause all (enabled while
 * something is moving or waiting), Resume all (enabled while something is paused, with how
 * many), and Quit.
 */
export function trayMenu(totals: QueueTotals): TrayModel {
  const pausable = totals.active + totals.queued;
  return {
    tooltip: trayTooltip(totals),
    items: [
      { type: 'status', label: queueLine(totals) },
      { type: 'separator' },
      { type: 'action', action: 'show', label: 'Show Ferry', enabled: true },
      { type: 'action', action: 'pause-all', label: pausable > 0 ? `Pause all (${pausable})` : 'Pause all', enabled: pausable > 0 },
      { type: 'action', action: 'resume-all', label: totals.paused > 0 ? `Resume all (${totals.paused})` : 'Resume all', enabled: totals.paused > 0 },
      { type: 'separator' },
      { type: 'action', action: 'quit', label: 'Quit Ferry', enabled: true },
    ],
  };
}

/** Whether two menus are the same to the eye (the tooltip aside): no rebuild needed. */
export function sameMenu(a: TrayModel | null, b: TrayModel): boolean {
  return a !== null && JSON.stringify(a.items) === JSON.stringify(b.items);
}
