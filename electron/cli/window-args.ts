/**
 * --active-hours and --limit-rate-schedule (issue 15): the time windows of a `ferry get`,
 * `put` or `resume`, in the syntax the Settings dialog shares (common/time-windows.ts).
 * Each flag may be given several times or hold several windows separated by commas.
 */
import { type TimeWindows, parseActiveHours, parseRateSchedule } from '../common/time-windows';
import { UsageError } from './args';

/** The windows given, or undefined when neither flag was; a mistake is a UsageError naming the flag. */
export function timeWindowsOf(values: { 'active-hours'?: string[]; 'limit-rate-schedule'?: string[] }): TimeWindows | undefined {
  const hours = values['active-hours'];
  const schedule = values['limit-rate-schedule'];
  if (hours === undefined && schedule === undefined) return undefined;
  const activeHours = parseActiveHours((hours ?? []).join(','));
  if (typeof activeHours === 'string') throw new UsageError(`--active-hours: ${activeHours}`);
  const bandwidthSchedule = parseRateSchedule((schedule ?? []).join(','));
  if (typeof bandwidthSchedule === 'string') throw new UsageError(`--limit-rate-schedule: ${bandwidthSchedule}`);
  if (hours !== undefined && activeHours.length === 0) throw new UsageError('--active-hours needs a window such as 22:00-07:00 or mon-fri@09:00-18:00');
  if (schedule !== undefined && bandwidthSchedule.length === 0) throw new UsageError('--limit-rate-schedule needs a window and a rate such as 09:00-18:00=1M');
  return { activeHours, bandwidthSchedule };
}
