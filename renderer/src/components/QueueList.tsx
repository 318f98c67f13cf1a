import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef } from 'react';
import { useApp, useTransfers } from '../context';
import { useShallow, visibleIds } from '../store';
import { actionsFor } from './actions';
import { ErrorBoundary } from './ErrorBoundary';
import { TransferRow } from './TransferRow';

const ROW_HEIGHT = 56;
/** The sticky column header sits above the rows inside the scroller. */
const HEADER_HEIGHT = 32;
/** How long rows just added stay marked; the .row-new fade in styles.css lasts as long. */
export const SPOTLIGHT_MS = 3000;

/** The queue: a virtualized grid, so ten thousand transfers cost what the twenty on screen cost. */
export function QueueList({ onRemove }: { onRemove(ids: string[]): void }) {
  const { store, client, report } = useApp();
  const { order, filter, search, sort } = useTransfers(useShallow((s) => ({ order: s.order, filter: s.filter, search: s.search, sort: s.sort })));
  const empty = useTransfers((s) => s.byId.size === 0);
  const focused = useTransfers((s) => s.focused);
  // Every batch changes rows; the list itself changes only with the order, or with each batch
  // while a filter, search or sort depends on what the rows hold.
  const version = useTransfers((s) => (filter === 'all' && !search && sort === 'queue' ? 0 : s.version));
  const ids = useMemo(() => visibleIds({ byId: store.getState().byId, order, filter, search, sort }), [store, version, order, filter, search, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    scrollMargin: HEADER_HEIGHT,
    // A row scrolled to the top stops below the sticky header, not under it.
    scrollPaddingStart: HEADER_HEIGHT,
    overscan: 8,
    initialRect: { width: 1000, height: 800 },
  });
  useSpotlight(
    ids,
    useCallback(
      (index: number) => {
        // Already in view: leave the list where it is. Otherwise the first new row goes to the top, with the rest of them below it.
        if (virtual.getOffsetForIndex(index, 'auto')?.[1] !== 'auto') virtual.scrollToIndex(index, { align: 'start' });
      },
      [virtual],
    ),
  );

  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const s = store.getState();
    const at = focused ? ids.indexOf(focused) : -1;
    const move = (to: number): void => {
      const id = ids[Math.max(0, Math.min(ids.length - 1, to))];
      if (!id) return;
      s.select(id, e.shiftKey ? 'range' : 'only');
      virtual.scrollToIndex(ids.indexOf(id));
    };
    const chosen = Object.keys(s.selected);
    // Alt with an arrow, Home or End moves the focused transfer within the queue.
    const placement = e.altKey ? ({ ArrowUp: 'up', ArrowDown: 'down', Home: 'top', End: 'bottom' } as const)[e.key as 'ArrowUp'] : undefined;
    if (placement && focused) {
      e.preventDefault();
      void client.move({ id: focused, placement }).then((r) => !r.ok && report(r.error.message));
      return;
    }
    switch (e.key) {
      case 'ArrowDown':
        move(at + 1);
        break;
      case 'ArrowUp':
        move(at < 0 ? 0 : at - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(ids.length - 1);
        break;
      case 'PageDown':
        move(at + 10);
        break;
      case 'PageUp':
        move(at - 10);
        break;
      case 'Enter':
        if (focused) s.openDetails(focused);
        break;
      case 'Delete':
      case 'Backspace':
        if (chosen.length > 0) onRemove(chosen);
        break;
      case ' ': {
        // Space pauses what moves and resumes what is paused.
        const rows = chosen.map((id) => s.byId.get(id)!).filter(Boolean);
        const pause = rows.filter((t) => actionsFor(t).pause).map((t) => t.id);
        const resume = rows.filter((t) => actionsFor(t).resume).map((t) => t.id);
        if (pause.length) void client.pause({ ids: pause }).then((r) => !r.ok && report(r.error.message));
        if (resume.length) void client.resume({ ids: resume }).then((r) => !r.ok && report(r.error.message));
        break;
      }
      case 'a':
        if (!(e.metaKey || e.ctrlKey)) return;
        s.selectAll(ids);
        break;
      case 'Escape':
        // Escape closes what is open first (the details), then lets go of the selection.
        if (s.detailsId) s.openDetails(null);
        else s.clearSelection();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div
      className="queue"
      role="grid"
      aria-label="Transfers"
      aria-rowcount={ids.length + 1}
      aria-multiselectable
      tabIndex={0}
      aria-activedescendant={focused ? `row-${focused}` : undefined}
      onKeyDown={onKey}
      onFocus={() => {
        if (!store.getState().focused && ids[0]) store.getState().focus(ids[0]);
      }}
    >
      <div className="scroller" ref={scroller}>
        <div role="row" aria-rowindex={1} className="row header" style={{ height: HEADER_HEIGHT }}>
          <div role="columnheader">Name</div>
          <div role="columnheader">Progress</div>
          <div role="columnheader">Speed</div>
          <div role="columnheader">State</div>
          <div role="columnheader">
            <span className="visually-hidden">Actions</span>
          </div>
        </div>
        {ids.length === 0 ? (
          <div className="empty" role="row">
            <div role="gridcell">
              {empty ? (
                <>
                  <p className="empty-title">Nothing moving yet</p>
                  <p>Drop links or files here, paste a URL, or choose Add.</p>
                </>
              ) : (
                <p>No transfers match.</p>
              )}
            </div>
          </div>
        ) : (
          <div className="rows" style={{ height: `${virtual.getTotalSize()}px` }}>
            {virtual.getVirtualItems().map((item) => (
              <ErrorBoundary key={ids[item.index]} what="A row" onError={report} fallback={(message) => <RowFailed top={item.start - HEADER_HEIGHT} height={item.size} message={message} />}>
                <TransferRow id={ids[item.index]!} index={item.index} top={item.start - HEADER_HEIGHT} height={item.size} onRemove={onRemove} />
              </ErrorBoundary>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}

/**
 * Brings what this window just added into view once its rows are in the list (they arrive
 * in the change batch after the add's answer, or were there already). A filter or search
 * that hides every one of them is cleared: whoever just added something wants to see it.
 */
function useSpotlight(ids: string[], reveal: (index: number) => void): void {
  const { store } = useApp();
  const spotlight = useTransfers((s) => s.spotlight);
  const revealed = useRef<number | null>(null);
  useEffect(() => {
    if (!spotlight) return;
    const timer = setTimeout(() => store.getState().endSpotlight(spotlight.key), SPOTLIGHT_MS);
    return () => clearTimeout(timer);
  }, [store, spotlight]);
  useEffect(() => {
    if (!spotlight || revealed.current === spotlight.key) return;
    const at = ids.findIndex((id) => spotlight.ids[id]);
    if (at >= 0) {
      revealed.current = spotlight.key;
      reveal(at);
      return;
    }
    const s = store.getState();
    if (Object.keys(spotlight.ids).some((id) => s.byId.has(id))) {
      s.setFilter('all');
      s.setSearch('');
    }
  }, [store, spotlight, ids, reveal]);
}

/** Where a row that could not render stands: the queue around it stays usable. */
function RowFailed({ top, height, message }: { top: number; height: number; message: string }) {
  return (
    <div role="row" className="row row-failed" style={{ transform: `translateY(${top}px)`, height }}>
      <div role="gridcell">This row could not be shown ({message}); the rest of the queue is fine. Reload to try it again.</div>
    </div>
  );
}
