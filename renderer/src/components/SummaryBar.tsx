import { useState } from 'react';
import { type RunProgress, type RunStart, type Totals, runProgress, runStart } from '../../../electron/common/queue-totals';
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
 * How far the current run is, in words that never contradict the counts beside them: "Nothing
 * left to move" only when nothing is unfinished, and "All N finished" when the run is over.
 */
export function progressText(t: Totals, p: RunProgress): string {
  if (p.left === 0) {
    if (p.count === 0) return 'Nothing left to move';
    if (p.failed > 0) return `Done: ${p.completed} finished, ${p.failed} failed`;
    return p.completed === 1 ? 'Finished' : `All ${p.completed} finished`;
  }
  const percent = ` (${Math.floor(p.fraction! * 100)}%)`;
  if (p.bytes) return `${formatBytes(p.bytes.done)} of ${formatBytes(p.bytes.size)}${percent}`;
  const finished = p.completed + p.failed;
  if (finished > 0) return `${finished} of ${p.count} finished${percent}`;
  // Nothing finished yet and not every size known: the bytes of those known, and how many are not.
  if (t.size > 0) return `${formatBytes(t.done)} of ${formatBytes(t.size)} and ${t.unsized} of unknown size`;
  return `${p.left} to move, sizes not known yet`;
}

/**
 * The run began when the queue last went from idle to busy; what had finished before it is
 * kept, so the run's finished transfers count towards its progress.
 */
function useRunStart(t: Totals): RunStart | null {
  const busy = t.active + t.queued + t.paused > 0;
  const [run, setRun] = useState(() => ({ busy, start: busy ? runStart(t) : null }));
  if (run.busy !== busy) {
    const next = { busy, start: busy ? runStart(t) : run.start };
    setRun(next);
    return next.start;
  }
  return run.start;
}

export function SummaryBar() {
  const t = useTransfers((s) => s.totals);
  const history = useTransfers((s) => s.speedHistory);
  const p = runProgress(t, useRunStart(t));
  const text = progressText(t, p);
  // Moving, but by how much is not known (no size known, nothing finished): the moving bar.
  const moving = p.fraction === 0 && t.active > 0 && t.size === 0;
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
        <div
          className="bar"
          role="progressbar"
          aria-label="Overall progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={p.fraction === null || moving ? undefined : Math.floor(p.fraction * 100)}
          aria-valuetext={text}
        >
          {/* The exact share, not the rounded percent: a run that has begun never shows an empty bar. */}
          <div className={`bar-fill${moving ? ' indeterminate' : ''}${p.left === 0 && p.count > 0 && p.failed === 0 ? ' done' : ''}`} style={{ width: `${(p.fraction ?? 0) * 100}%` }} />
        </div>
        <span title={text}>{text}</span>
      </div>
    </section>
  );
}
