import { useApp, useTransfers } from '../context';
import { type Filter, type SortKey } from '../store';

const FILTERS: Array<[Filter, string]> = [
  ['all', 'All'],
  ['active', 'Active'],
  ['queued', 'Waiting'],
  ['completed', 'Completed'],
  ['failed', 'Failed'],
];

export function Toolbar({ onAdd, onUpload, onSettings, onRemove }: { onAdd(): void; onUpload(): void; onSettings(): void; onRemove(ids: string[]): void }) {
  const { store, client, report } = useApp();
  const filter = useTransfers((s) => s.filter);
  const search = useTransfers((s) => s.search);
  const sort = useTransfers((s) => s.sort);
  const selected = useTransfers((s) => s.selected);
  const counts = useTransfers((s) => s.totals);
  const chosen = Object.keys(selected);
  const run = (p: Promise<{ ok: boolean; error?: { message: string } }>): void => void p.then((r) => !r.ok && report(r.error!.message));
  const countOf: Record<Filter, number> = { all: counts.all, active: counts.active, queued: counts.queued + counts.paused, completed: counts.completed, failed: counts.failed };
  return (
    <div className="toolbar">
      <div className="toolbar-main">
        <span className="brand">Ferry</span>
        <button type="button" className="primary" onClick={onAdd} title="Add downloads (Ctrl+N)">
          Add
        </button>
        <button type="button" onClick={onUpload}>
          Upload
        </button>
        <span className="divider" />
        <button type="button" onClick={() => run(client.pauseAll())}>
          Pause all
        </button>
        <button type="button" onClick={() => run(client.resumeAll())}>
          Resume all
        </button>
        {chosen.length > 1 ? (
          <span className="bulk" role="group" aria-label={`${chosen.length} selected`}>
            <span>{chosen.length} selected</span>
            <button type="button" onClick={() => run(client.pause({ ids: chosen }))}>
              Pause selected
            </button>
            <button type="button" onClick={() => run(client.resume({ ids: chosen }))}>
              Resume selected
            </button>
            <button type="button" onClick={() => run(client.retry({ ids: chosen }))}>
              Retry selected
            </button>
            <button type="button" onClick={() => onRemove(chosen)}>
              Remove selected
            </button>
          </span>
        ) : null}
        <span className="spacer" />
        <button type="button" onClick={onSettings} title="Settings (Ctrl+,)">
          Settings
        </button>
      </div>
      <div className="toolbar-filters">
        <div role="tablist" aria-label="Show">
          {FILTERS.map(([key, label]) => (
            <button key={key} type="button" role="tab" aria-selected={filter === key} className={filter === key ? 'tab active' : 'tab'} onClick={() => store.getState().setFilter(key)}>
              {label} <span className="count">{countOf[key]}</span>
            </button>
          ))}
        </div>
        <span className="spacer" />
        <input type="search" aria-label="Search by name" placeholder="Search names" value={search} onChange={(e) => store.getState().setSearch(e.target.value)} />
        <label className="sort">
          <span>Sort</span>
          <select aria-label="Sort" value={sort} onChange={(e) => store.getState().setSort(e.target.value as SortKey)}>
            <option value="queue">Queue order</option>
            <option value="name">Name</option>
            <option value="size">Size</option>
            <option value="progress">Progress</option>
            <option value="added">Newest first</option>
          </select>
        </label>
      </div>
    </div>
  );
}
