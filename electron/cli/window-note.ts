import { formatBytes } from '../common/format';
import type { WindowState } from '../engine';

/** One line about the time windows for stderr: where they stand, and what comes next. */
export function describeWindowState(state: WindowState, edge: boolean): string {
  const next = state.nextChange === null ? '' : new Date(state.nextChange).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  const rate = state.rate === null ? 'no bandwidth limit' : `a limit of ${formatBytes(state.rate)}/s`;
  if (!state.active) return `${edge ? 'The active hours ended' : 'Outside the active hours'}: transfers wait with their bytes saved${next ? ` and go on at ${next}` : ''}.`;
  return `Time windows: transfers run with ${rate}${next ? ` until ${next}` : ''}.`;
}
