import { memo } from 'react';
import { formatBytes, formatDuration, formatSpeed } from '../../../electron/common/format';
import { useApp, useTransfers } from '../context';
import { actionsFor, stateLabel } from './actions';
import { IntegrityBadge } from './IntegrityBadge';

/**
 * One queue row. It subscribes to its own transfer by id: a batch that does not touch this
 * transfer leaves its object, and so this row, alone.
 */
export const TransferRow = memo(function TransferRow({ id, index, top, onRemove }: { id: string; index: number; top: number; onRemove(ids: string[]): void }) {
  const { client, store, report } = useApp();
  const t = useTransfers((s) => s.byId.get(id));
  const selected = useTransfers((s) => s.selected[id] === true);
  const focused = useTransfers((s) => s.focused === id);
  const added = useTransfers((s) => s.spotlight?.ids[id] === true);
  const canReveal = useTransfers((s) => s.host?.canRevealFiles ?? false);
  if (!t) return null;
  const can = actionsFor(t);
  const percent = t.total ? Math.min(100, Math.floor((t.bytes / t.total) * 100)) : t.state === 'completed' ? 100 : null;
  const run = (promise: Promise<{ ok: boolean; error?: { message: string } }>): void => {
    void promise.then((r) => {
      if (!r.ok) report(r.error!.message);
    });
  };
  const size = t.total !== null ? `${formatBytes(t.bytes)} of ${formatBytes(t.total)}` : formatBytes(t.bytes);
  return (
    <div
      role="row"
      id={`row-${id}`}
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`row state-${t.state}${selected ? ' selected' : ''}${focused ? ' focused' : ''}${added ? ' row-new' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
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
            <span className="size">{percent !== null && t.state !== 'completed' ? `${percent}% · ${size}` : size}</span>
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
        {can.pause ? (
          <button type="button" className="icon" title={`Pause ${t.name}`} onClick={() => run(client.pause({ ids: [id] }))}>
            Pause
          </button>
        ) : null}
        {can.resume ? (
          <button type="button" className="icon" title={`Resume ${t.name}`} onClick={() => run(client.resume({ ids: [id] }))}>
            Resume
          </button>
        ) : null}
        {can.retry ? (
          <button type="button" className="icon" title={`Retry ${t.name}`} onClick={() => run(client.retry({ ids: [id] }))}>
            Retry
          </button>
        ) : null}
        {can.cancel ? (
          <button type="button" className="icon" title={`Cancel ${t.name}`} onClick={() => run(client.cancel({ ids: [id] }))}>
            Cancel
          </button>
        ) : null}
        {t.state === 'completed' && canReveal ? (
          <button type="button" className="icon" title={`Show ${t.name} in its folder`} onClick={() => run(client.reveal({ id }))}>
            Show
          </button>
        ) : null}
        <button type="button" className="icon" title={`Details of ${t.name}`} onClick={() => store.getState().openDetails(id)}>
          Details
        </button>
        <button type="button" className="icon" title={`Remove ${t.name}`} onClick={() => onRemove([id])}>
          Remove
        </button>
      </div>
    </div>
  );
});
