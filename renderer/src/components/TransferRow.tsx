import { type ReactNode, memo } from 'react';
import { formatBytes, formatDuration, formatSpeed } from '../../../electron/common/format';
import { useApp, useTransfers } from '../context';
import { actionsFor, stateLabel } from './actions';
import { IntegrityBadge } from './IntegrityBadge';

/** Line icons for the row's actions, drawn in the text's colour (16 px, 1.5 px strokes). */
const ICONS = {
  Pause: <path d="M5.5 3.5v9M10.5 3.5v9" />,
  Resume: <path d="M5 3l8 5-8 5z" fill="currentColor" />,
  Retry: <path d="M13 8a5 5 0 1 1-1.6-3.7M13 2.5v2.5h-2.5" />,
  Cancel: <path d="M4.5 4.5l7 7M11.5 4.5l-7 7" />,
  Show: <path d="M2 4h4l1.5 1.5H14V13H2z" />,
  Details: <path d="M8 14A6 6 0 1 0 8 2a6 6 0 0 0 0 12zM8 7.5V11M8 5v.5" />,
  Remove: <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5" />,
} satisfies Record<string, ReactNode>;

/**
 * A row action: its word where the queue is wide, its icon where it is narrow (the word stays
 * its accessible name, and the title says it in full either way).
 */
function Action({ action, title, onClick }: { action: keyof typeof ICONS; title: string; onClick(): void }) {
  return (
    <button type="button" className="icon" title={title} onClick={onClick}>
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round">
        {ICONS[action]}
      </svg>
      <span className="label">{action}</span>
    </button>
  );
}

/**
 * One queue row. It subscribes to its own transfer by id: a batch that does not touch this
 * transfer leaves its object, and so this row, alone.
 */
export const TransferRow = memo(function TransferRow({ id, index, top, height, onRemove }: { id: string; index: number; top: number; height: number; onRemove(ids: string[]): void }) {
  const { client, store, report } = useApp();
  const t = useTransfers((s) => s.byId.get(id));
  const selected = useTransfers((s) => s.selected[id] === true);
  const focused = useTransfers((s) => s.focused === id);
  const added = useTransfers((s) => s.spotlight?.ids[id] === true);
  const shown = useTransfers((s) => s.detailsId === id);
  const canReveal = useTransfers((s) => s.host?.canRevealFiles ?? false);
  if (!t) return null;
  const can = actionsFor(t);
  const percent = t.total ? Math.min(100, Math.floor((t.bytes / t.total) * 100)) : t.state === 'completed' ? 100 : null;
  const run = (promise: Promise<{ ok: boolean; error?: { message: string } }>): void => {
    void promise.then((r) => {
      if (!r.ok) report(r.error!.message);
    });
  };
  // A finished file is its size; "2 MiB of 2 MiB" says it twice.
  const size = t.state === 'completed' ? formatBytes(t.total ?? t.bytes) : t.total !== null ? `${formatBytes(t.bytes)} of ${formatBytes(t.total)}` : formatBytes(t.bytes);
  const sizeText = percent !== null && t.state !== 'completed' ? `${percent}% · ${size}` : size;
  return (
    <div
      role="row"
      id={`row-${id}`}
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`row state-${t.state}${index % 2 ? ' alt' : ''}${selected ? ' selected' : ''}${focused ? ' focused' : ''}${shown ? ' details-shown' : ''}${added ? ' row-new' : ''}`}
      // Where and how tall the virtualizer counts this row, so the two can never disagree.
      style={{ transform: `translateY(${top}px)`, height }}
      onClick={(e) => store.getState().select(id, e.shiftKey ? 'range' : e.metaKey || e.ctrlKey ? 'toggle' : 'only')}
      onDoubleClick={() => store.getState().openDetails(id)}
    >
      <div role="gridcell" className="cell-name">
        <span className={`direction direction-${t.direction}`} aria-label={t.direction === 'download' ? 'Download' : 'Upload'}>
          {t.direction === 'download' ? '↓' : '↑'}
        </span>
        <span className="name" title={t.path ?? t.url}>
          {t.name}
        </span>
        {t.error && t.state === 'failed' ? (
          <button type="button" className="row-error" title={`${t.error.message} (click for details)`} onClick={(e) => (e.stopPropagation(), store.getState().openDetails(id))}>
            {t.error.message}
          </button>
        ) : null}
        {t.retrying && t.state === 'active' ? <span className="row-retry">Retrying: {t.retrying.message}</span> : null}
      </div>
      <div role="gridcell" className="cell-progress">
        {/* A download that failed before its first byte has no progress to show. */}
        {t.state === 'failed' && t.bytes === 0 ? null : (
          <>
            <div
              className="bar"
              role="progressbar"
              aria-label={`Progress of ${t.name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent ?? undefined}
              aria-valuetext={percent === null ? `${formatBytes(t.bytes)}, size unknown` : `${percent}%, ${size}`}
            >
              <div className={`bar-fill${percent === null && t.state === 'active' ? ' indeterminate' : ''}`} style={{ width: `${percent ?? 0}%` }} />
            </div>
            <span className="size" title={sizeText}>
              {sizeText}
            </span>
          </>
        )}
      </div>
      <div role="gridcell" className="cell-speed">
        {t.state === 'active' ? (
          <>
            <span>{formatSpeed(t.speed)}</span>
            <span className="eta">{t.eta !== null ? `${formatDuration(t.eta)} left` : ''}</span>
          </>
        ) : null}
      </div>
      <div role="gridcell" className="cell-state">
        <span className={`state state-${t.state}`}>{stateLabel(t)}</span>
        <IntegrityBadge transfer={t} />
      </div>
      <div role="gridcell" className="cell-actions" onClick={(e) => e.stopPropagation()} onDoubleClick={(e) => e.stopPropagation()}>
        {can.pause ? <Action action="Pause" title={`Pause ${t.name}`} onClick={() => run(client.pause({ ids: [id] }))} /> : null}
        {can.resume ? <Action action="Resume" title={`Resume ${t.name}`} onClick={() => run(client.resume({ ids: [id] }))} /> : null}
        {can.retry ? <Action action="Retry" title={`Retry ${t.name}`} onClick={() => run(client.retry({ ids: [id] }))} /> : null}
        {can.cancel ? <Action action="Cancel" title={`Cancel ${t.name}`} onClick={() => run(client.cancel({ ids: [id] }))} /> : null}
        {t.state === 'completed' && canReveal ? <Action action="Show" title={`Show ${t.name} in its folder`} onClick={() => run(client.reveal({ id }))} /> : null}
        <Action action="Details" title={`Details of ${t.name}`} onClick={() => store.getState().openDetails(id)} />
        <Action action="Remove" title={`Remove ${t.name}`} onClick={() => onRemove([id])} />
      </div>
    </div>
  );
});
