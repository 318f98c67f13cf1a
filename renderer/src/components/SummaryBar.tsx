import type { Totals } from '../../../electron/common/queue-totals';
import { formatBytes, formatSpeed } from '../../../electron/common/format';
import { useTransfers } from '../context';
import { BandwidthLimit } from './BandwidthLimit';

/** The last minute of total speed, as a small line. */
function Sparkline({ samples }: { samples: number[] }) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...samples);
  const points = samples.map((v, i) => `${((i + 60 - samples.length) / 59) * width},${height - (v / max) * (height - 2) - 1}`).join(' ');
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
      <line className="baseline" x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} strokeWidth="1" />
      {samples.length > 1 ? <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" /> : null}
    </svg>
  );
}

/**
 * What is left, in words that never contradict the counts beside them: "Nothing left to
 * move" only when nothing is unfinished.
 */
export function progressText(t: Totals): string {
  const unfinished = t.active + t.queued + t.paused;
  if (unfinished === 0) return 'Nothing left to move';
  const unsized = t.unsized > 0 ? `${t.unsized} of unknown size` : '';
  if (t.size === 0) return `${unfinished} to move, ${t.unsized === unfinished ? 'sizes not known yet' : unsized}`;
  const percent = t.unsized === 0 ? ` (${Math.floor((t.done / t.size) * 100)}%)` : '';
  return `${formatBytes(t.done)} of ${formatBytes(t.size)}${percent}${unsized ? ` and ${unsized}` : ''}`;
}

export function SummaryBar() {
  const t = useTransfers((s) => s.totals);
  const history = useTransfers((s) => s.speedHistory);
  // A percentage only when it speaks of everything left: transfers of unknown size make it a guess.
  const percent = t.size > 0 && t.unsized === 0 ? Math.floor((t.done / t.size) * 100) : null;
  return (
    <section className="summary" aria-label="Summary">
      <div className="summary-speed">
        <span className="big" aria-label="Total speed">
          {formatSpeed(Math.max(0, t.speed))}
        </span>
        <Sparkline samples={history} />
        <BandwidthLimit />
      </div>
      <div className="summary-counts">
        <span>{t.active} active</span>
        <span>{t.queued} waiting</span>
        {t.paused > 0 ? <span>{t.paused} paused</span> : null}
        <span>{t.completed} completed</span>
        {t.failed > 0 ? <span className="failed">{t.failed} failed</span> : null}
      </div>
      <div className="summary-progress">
        <div className="bar" role="progressbar" aria-label="Overall progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent ?? undefined}>
          <div className="bar-fill" style={{ width: `${percent ?? 0}%` }} />
        </div>
        <span>{progressText(t)}</span>
      </div>
    </section>
  );
}
