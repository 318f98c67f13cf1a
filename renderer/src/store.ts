/**
 * The window's state: normalized (`byId` + `order`), one `set` per change batch. Rows
 * subscribe by id, so a batch re-renders only the rows whose objects it replaced.
 *
 * Ten thousand rows at ten batches a second shape two choices, measured in bench/ui:
 * `byId` is a Map updated in place (row objects are replaced, never mutated; `version`
 * marks each batch), because copying a 10,000-key object per batch cost 5 ms and its
 * garbage made long tasks; and the counts the toolbar and summary show are kept up to
 * date from the changed rows only, instead of a walk over every row per batch.
 */
import { createStore, useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { EMPTY_TOTALS, type Totals, countRow, totals } from '../../electron/common/queue-totals';
import type { HostInfo, Notice, ServiceEvent, Settings, Snapshot, TransferSummary } from '../../electron/common/service';

export type Filter = 'all' | 'active' | 'queued' | 'completed' | 'failed';
export type SortKey = 'queue' | 'name' | 'size' | 'progress' | 'added';

export interface ShownNotice extends Notice {
  key: number;
}

export interface TransfersState {
  /** Updated in place; `version` changes with every batch (see above). */
  byId: Map<string, TransferSummary>;
  version: number;
  totals: Totals;
  /** Queue order: priority high to low, then first come first served. */
  order: string[];
  /** The last batch applied; null while a snapshot is awaited (before the first, after a reconnect). */
  batch: number | null;
  /** Batches that arrived while the snapshot was awaited: applied after it, if newer. */
  early: ChangesEvent[];
  settings: Settings | null;
  host: HostInfo | null;
  filter: Filter;
  search: string;
  sort: SortKey;
  /** Selected rows (an object, so a change is a new reference). */
  selected: Record<string, true>;
  /** The row keyboard focus is on, and where a Shift-selection starts. */
  focused: string | null;
  anchor: string | null;
  detailsId: string | null;
  /** Total speed, one sample a second, the last minute. */
  speedHistory: number[];
  notices: ShownNotice[];
  /** Transfers this window just added: the list scrolls to them once and marks them for a moment. */
  spotlight: Spotlight | null;

  /** A new session began: batches wait for its snapshot. */
  expectSnapshot(): void;
  applySnapshot(snapshot: Snapshot): void;
  applyEvent(event: ServiceEvent): void;
  sampleSpeed(): void;
  setFilter(filter: Filter): void;
  setSearch(search: string): void;
  setSort(sort: SortKey): void;
  select(id: string, mode: 'only' | 'toggle' | 'range'): void;
  selectAll(ids: string[]): void;
  clearSelection(): void;
  focus(id: string | null): void;
  openDetails(id: string | null): void;
  dismissNotice(key: number): void;
  /** Marks transfers just added (or found already there) so the list shows them. */
  spotlightAdded(ids: string[]): void;
  /** Ends that spotlight, unless a newer one took its place. */
  endSpotlight(key: number): void;
}

export interface Spotlight {
  ids: Record<string, true>;
  /** Tells one add from the next, so a late timer never ends a newer spotlight. */
  key: number;
}

const HISTORY = 60;
/** Batches kept while a snapshot is on its way (ten seconds' worth). */
const MAX_EARLY = 100;

type ChangesEvent = Extract<ServiceEvent, { type: 'changes' }>;

function isWholeRow(change: Partial<TransferSummary>): change is TransferSummary {
  return change.integrity !== undefined && change.state !== undefined && change.name !== undefined && change.direction !== undefined;
}
let noticeKey = 0;
let spotlightKey = 0;

function queueOrder(byId: Map<string, TransferSummary>): string[] {
  return [...byId.values()].sort((a, b) => b.priority - a.priority || a.seq - b.seq).map((t) => t.id);
}

export function createTransfersStore() {
  return createStore<TransfersState>()((set, get) => ({
    byId: new Map(),
    version: 0,
    totals: { ...EMPTY_TOTALS },
    order: [],
    batch: null,
    early: [],
    settings: null,
    host: null,
    filter: 'all',
    search: '',
    sort: 'queue',
    selected: {},
    focused: null,
    anchor: null,
    detailsId: null,
    speedHistory: [],
    notices: [],
    spotlight: null,

    expectSnapshot() {
      set({ batch: null, early: [] });
    },

    applySnapshot(snapshot) {
      const byId = new Map(snapshot.transfers.map((t) => [t.id, t]));
      const { selected, detailsId, version, early } = get();
      set({
        byId,
        version: version + 1,
        totals: totals(snapshot.transfers),
        order: queueOrder(byId),
        batch: snapshot.batch,
        settings: snapshot.settings,
        host: snapshot.host,
        selected: Object.fromEntries(Object.keys(selected).filter((id) => byId.has(id)).map((id) => [id, true as const])),
        detailsId: detailsId && byId.has(detailsId) ? detailsId : null,
        early: [],
      });
      // Batches that overtook the snapshot: those it already holds are dropped, the rest applied in order.
      for (const event of early) get().applyEvent(event);
    },

    applyEvent(event) {
      const state = get();
      if (event.type === 'settings') return set({ settings: event.settings });
      if (event.type === 'notice') return set({ notices: [...state.notices.slice(-4), { ...event.notice, key: ++noticeKey }] });
      // Until the snapshot arrives, batches wait for it (changes to rows not yet known would
      // make rows with half their fields); a batch the snapshot already holds is skipped.
      if (state.batch === null) {
        if (state.early.length < MAX_EARLY) set({ early: [...state.early, event] });
        else set({ early: [] }); // far behind: the snapshot alone is the truth
        return;
      }
      if (event.batch <= state.batch) return;
      const byId = state.byId;
      const sums = { ...state.totals };
      let reorder = event.removed.length > 0;
      for (const id of event.removed) {
        const gone = byId.get(id);
        if (gone) countRow(sums, gone, -1);
        byId.delete(id);
      }
      for (const change of event.changes) {
        const previous = byId.get(change.id);
        // A new row arrives whole; a partial change for a row this window never had is
        // dropped rather than shown with fields missing (the next snapshot brings it).
        if (!previous && !isWholeRow(change)) continue;
        if (!previous) reorder = true;
        else {
          if (change.priority !== undefined || change.seq !== undefined) reorder = true;
          countRow(sums, previous, -1);
        }
        const row = { ...previous, ...change } as TransferSummary;
        countRow(sums, row, 1);
        byId.set(change.id, row);
      }
      const next: Partial<TransfersState> = { version: state.version + 1, totals: sums, batch: event.batch };
      if (reorder) next.order = queueOrder(byId);
      if (event.removed.length > 0) {
        const selected = { ...state.selected };
        for (const id of event.removed) delete selected[id];
        next.selected = selected;
        if (state.detailsId && !byId.has(state.detailsId)) next.detailsId = null;
        if (state.focused && !byId.has(state.focused)) next.focused = null;
      }
      set(next); // one set per batch
    },

    sampleSpeed() {
      set({ speedHistory: [...get().speedHistory.slice(-(HISTORY - 1)), Math.max(0, get().totals.speed)] });
    },

    setFilter: (filter) => set({ filter }),
    setSearch: (search) => set({ search }),
    setSort: (sort) => set({ sort }),

    select(id, mode) {
      const { selected, anchor } = get();
      if (mode === 'only') return set({ selected: { [id]: true }, anchor: id, focused: id });
      if (mode === 'toggle') {
        const next = { ...selected };
        if (next[id]) delete next[id];
        else next[id] = true;
        return set({ selected: next, anchor: id, focused: id });
      }
      const visible = visibleIds(get());
      const from = anchor ? visible.indexOf(anchor) : -1;
      const to = visible.indexOf(id);
      if (from < 0 || to < 0) return set({ selected: { [id]: true }, anchor: id, focused: id });
      const [lo, hi] = from < to ? [from, to] : [to, from];
      set({ selected: Object.fromEntries(visible.slice(lo, hi + 1).map((v) => [v, true as const])), focused: id });
    },
    selectAll: (ids) => set({ selected: Object.fromEntries(ids.map((id) => [id, true as const])) }),
    clearSelection: () => set({ selected: {} }),
    focus: (id) => set({ focused: id }),
    openDetails: (detailsId) => set({ detailsId }),
    dismissNotice: (key) => set({ notices: get().notices.filter((n) => n.key !== key) }),
    spotlightAdded(ids) {
      if (ids.length > 0) set({ spotlight: { ids: Object.fromEntries(ids.map((id) => [id, true as const])), key: ++spotlightKey } });
    },
    endSpotlight(key) {
      if (get().spotlight?.key === key) set({ spotlight: null });
    },
  }));
}

export type TransfersStore = ReturnType<typeof createTransfersStore>;

const FILTERS: Record<Filter, (t: TransferSummary) => boolean> = {
  all: () => true,
  active: (t) => t.state === 'active',
  queued: (t) => t.state === 'queued' || t.state === 'paused',
  completed: (t) => t.state === 'completed',
  failed: (t) => t.state === 'failed' || t.state === 'canceled',
};

const progressOf = (t: TransferSummary): number => (t.total ? t.bytes / t.total : t.state === 'completed' ? 1 : 0);

const SORTS: Record<Exclude<SortKey, 'queue'>, (a: TransferSummary, b: TransferSummary) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  size: (a, b) => (b.total ?? -1) - (a.total ?? -1),
  progress: (a, b) => progressOf(b) - progressOf(a),
  // Links added together share a millisecond; seq (the order they were added in) breaks the tie.
  added: (a, b) => b.createdAt - a.createdAt || b.seq - a.seq,
};

/** The ids the list shows, in the order it shows them. */
export function visibleIds(state: Pick<TransfersState, 'byId' | 'order' | 'filter' | 'search' | 'sort'>): string[] {
  const { byId, order, filter, search, sort } = state;
  if (filter === 'all' && !search && sort === 'queue') return order;
  const needle = search.trim().toLowerCase();
  const keep = FILTERS[filter];
  const rows = order.map((id) => byId.get(id)!).filter((t) => keep(t) && (!needle || t.name.toLowerCase().includes(needle)));
  if (sort !== 'queue') rows.sort(SORTS[sort]);
  return rows.map((t) => t.id);
}

export { type Totals, totals, useShallow, useStore };
