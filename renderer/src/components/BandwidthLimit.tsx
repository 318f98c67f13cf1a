import { useEffect, useState } from 'react';
import { formatSpeed } from '../../../electron/common/format';
import { WEEKDAYS, activeAt, nextChange, rateAt } from '../../../electron/common/time-windows';
import { useTransfers } from '../context';

/** The time, once a minute: what the time windows say changes at most that often. */
function useMinute(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** HH:MM as Settings writes the windows (with the weekday when not today). */
function clock(t: number, now: number): string {
  const at = new Date(t);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return at.toDateString() === new Date(now).toDateString() ? hhmm : `${WEEKDAYS[at.getDay()]} ${hhmm}`;
}

/**
 * The limits in force now, beside the total speed they cap, so a slow or idle queue is no
 * mystery: the bandwidth limit (the schedule's, where a window covers now), and, outside
 * the active hours, that transfers wait and until when.
 */
export function BandwidthLimit() {
  const settings = useTransfers((s) => s.settings);
  const now = useMinute();
  if (!settings) return null;
  const windows = { activeHours: settings.activeHours ?? [], bandwidthSchedule: settings.bandwidthSchedule ?? [] };
  const limit = rateAt(windows, settings.bandwidth ?? null, new Date(now));
  const outside = !activeAt(windows, new Date(now));
  const until = outside ? nextChange(windows, now) : null;
  return (
    <>
      {outside ? (
        <span className="limit waiting-hours" role="status" title="Active hours are set in Settings; transfers move only inside them">
          Outside active hours{until !== null ? `: transfers wait until ${clock(until, now)}` : ''}
        </span>
      ) : null}
      {limit ? (
        <span className="limit" title={windows.bandwidthSchedule.some((w) => w.rate === limit) ? 'The bandwidth schedule in Settings sets this limit now' : 'All transfers together are held to this speed; change it in Settings'}>
          Limited to {formatSpeed(limit)}
        </span>
      ) : null}
    </>
  );
}
