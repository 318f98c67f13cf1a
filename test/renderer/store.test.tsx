import { describe, expect, test } from 'vitest';
import type { Settings, Snapshot, TransferSummary } from '../../electron/common/service';
import { type RunStart, runProgress, runStart } from '../../electron/common/queue-totals';
import { createTransfersStore, totals, visibleIds } from '../../renderer/src/store';
import { progressText } from '../../renderer/src/components/SummaryBar';

const settings: Settings = { downloadDir: '/tmp', maxActive: 4, maxPerHost: 6, maxConnections: 1, bandwidth: null, stallTimeoutSeconds: 30, autoResume: true, keepRunningInTray: true, sidecarLookup: true, uploadDestinations: [], activeHours: [], bandwidthSchedule: [] };

export function row(id: string, extra: Partial<TransferSummary> = {}): TransferSummary {
  return {
    id,
    direction: 'download',
    state: 'queued',
    name: `${id}.bin`,
    url: `https://example.com/${id}.bin`,
    dir: '/tmp',
    path: null,
    bytes: 0,
    total: 1000,
    speed: 0,
    eta: null,
    integrity: { status: 'pending', algorithm: null, expected: null, actual: null, source: null },
    checking: false,
    retrying: null,
    error: null,
    priority: 0,
    seq: Number(id.replace(/\D/g, '')) || 0,
    resumes: 0,
    restarts: 0,
    createdAt: 1,
    completedAt: null,
    ...extra,
  };
}

const snapshot = (transfers: TransferSummary[], batch = 5): Snapshot => ({ transfers, settings, batch, host: { kind: 'serve', canRevealFiles: false, secretStorage: 'key-file', dataDir: '/d', version: 't' } });

describe('the window store', () => {
  test('a batch is one set; rows it does not touch keep their objects', () => {
    const store = createTransfersStore();
    store.getState().applySnapshot(snapshot([row('t1'), row('t2'), row('t3')]));
    const before = new Map(store.getState().byId);
    let sets = 0;
    store.subscribe(() => sets++);
    store.getState().applyEvent({ type: 'changes', batch: 6, changes: [{ id: 't2', bytes: 500, state: 'active', speed: 100 }], removed: [] });
    expect(sets).toBe(1);
    const after = store.getState().byId;
    expect(after.get('t1')).toBe(before.get('t1'));
    expect(after.get('t3')).toBe(before.get('t3'));
    expect(after.get('t2')).not.toBe(before.get('t2'));
    expect(after.get('t2')).toMatchObject({ bytes: 500, state: 'active', name: 't2.bin' });
    // The counts follow the changed row alone.
    expect(store.getState().totals).toMatchObject({ all: 3, active: 1, queued: 2, speed: 100, done: 500, size: 3000 });
    // Progress alone does not reorder the queue.
    expect(store.getState().order).toEqual(['t1', 't2', 't3']);
  });

  test('batches the snapshot already holds are skipped; new rows, priorities and removals reorder', () => {
    const store = createTransfersStore();
    store.getState().applySnapshot(snapshot([row('t1'), row('t2')], 10));
    store.getState().applyEvent({ type: 'changes', batch: 9, changes: [{ id: 't1', bytes: 999 }], removed: [] });
    expect(store.getState().byId.get('t1')!.bytes).toBe(0);
    store.getState().select('t2', 'only');
    store.getState().applyEvent({ type: 'changes', batch: 11, changes: [{ ...row('t3') }, { id: 't1', priority: -1 }], removed: ['t2'] });
    expect(store.getState().order).toEqual(['t3', 't1']);
    expect(store.getState().selected).toEqual({});
  });

  test('filters, search and sort pick and order what the list shows', () => {
    const byId = {
      a: row('a1', { state: 'active', name: 'Alpha.iso', total: 10, bytes: 9 }),
      b: row('b2', { state: 'completed', name: 'beta.zip', total: 100, bytes: 100 }),
      c: row('c3', { state: 'failed', name: 'gamma.iso', total: 50 }),
      d: row('d4', { state: 'paused', name: 'delta.bin', total: null }),
    };
    const ids = new Map(Object.values(byId).map((t) => [t.id, t]));
    const order = ['a1', 'b2', 'c3', 'd4'];
    const view = (filter: 'all' | 'active' | 'queued' | 'completed' | 'failed', search = '', sort: 'queue' | 'name' | 'size' | 'progress' | 'added' = 'queue') => visibleIds({ byId: ids, order, filter, search, sort });
    expect(view('all')).toBe(order);
    expect(view('active')).toEqual(['a1']);
    expect(view('queued')).toEqual(['d4']);
    expect(view('failed')).toEqual(['c3']);
    expect(view('all', 'ISO')).toEqual(['a1', 'c3']);
    expect(view('all', '', 'size')).toEqual(['b2', 'c3', 'a1', 'd4']);
    expect(view('all', '', 'name')).toEqual(['a1', 'b2', 'd4', 'c3']);
    const t = totals(ids.values());
    expect(t).toMatchObject({ active: 1, queued: 0, paused: 1, completed: 1, failed: 1, all: 4, size: 10, done: 9 });
  });

  test('shift-click selects a range of what is shown; ctrl-click toggles', () => {
    const store = createTransfersStore();
    store.getState().applySnapshot(snapshot(['t1', 't2', 't3', 't4'].map((id) => row(id))));
    store.getState().select('t1', 'only');
    store.getState().select('t3', 'range');
    expect(Object.keys(store.getState().selected)).toEqual(['t1', 't2', 't3']);
    store.getState().select('t2', 'toggle');
    expect(Object.keys(store.getState().selected).sort()).toEqual(['t1', 't3']);
  });

  test('the speed graph keeps the last minute', () => {
    const store = createTransfersStore();
    store.getState().applySnapshot(snapshot([row('t1', { state: 'active', speed: 2048 })]));
    for (let i = 0; i < 75; i++) store.getState().sampleSpeed();
    expect(store.getState().speedHistory).toHaveLength(60);
    expect(store.getState().speedHistory.at(-1)).toBe(2048);
  });
});

test('counts kept from changed rows alone always equal a full count', () => {
  const store = createTransfersStore();
  store.getState().applySnapshot(snapshot(Array.from({ length: 50 }, (_, i) => row(`t${i}`))));
  const states = ['queued', 'active', 'paused', 'completed', 'failed', 'canceled'] as const;
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let batch = 6; batch < 300; batch++) {
    const changes = Array.from({ length: 1 + next(5) }, () => ({ id: `t${next(60)}`, state: states[next(6)]!, bytes: next(1000), speed: next(5000), total: next(4) === 0 ? null : 1000 }));
    const removed = next(10) === 0 ? [`t${next(60)}`] : [];
    store.getState().applyEvent({ type: 'changes', batch, changes: changes.map((c) => (store.getState().byId.has(c.id) ? c : { ...row(c.id), ...c })), removed });
  }
  expect(store.getState().totals).toEqual(totals(store.getState().byId.values()));
});

describe('a window opened while transfers move (issue 16, must fix 1)', () => {
  test('batches that overtake the snapshot wait for it: those it holds are dropped, newer ones applied, no half rows', () => {
    const store = createTransfersStore();
    store.getState().expectSnapshot();
    // Batches 4..7 reach the page before its snapshot (which holds everything up to 5).
    store.getState().applyEvent({ type: 'changes', batch: 4, changes: [{ id: 't1', bytes: 100 }], removed: [] });
    store.getState().applyEvent({ type: 'changes', batch: 6, changes: [{ id: 't1', bytes: 600 }], removed: [] });
    store.getState().applyEvent({ type: 'changes', batch: 7, changes: [{ id: 'ghost', bytes: 5 }], removed: [] });
    expect(store.getState().byId.size).toBe(0);
    store.getState().applySnapshot(snapshot([row('t1', { state: 'active', bytes: 500 })], 5));
    const t1 = store.getState().byId.get('t1')!;
    expect(t1.bytes).toBe(600);
    expect(t1.integrity.status).toBe('pending');
    expect(store.getState().byId.has('ghost')).toBe(false);
    expect(store.getState().batch).toBe(7);
  });

  test('a change for a row the window never had is dropped unless it is a whole row', () => {
    const store = createTransfersStore();
    store.getState().applySnapshot(snapshot([], 1));
    store.getState().applyEvent({ type: 'changes', batch: 2, changes: [{ id: 'half', bytes: 1 }], removed: [] });
    expect(store.getState().byId.has('half')).toBe(false);
    store.getState().applyEvent({ type: 'changes', batch: 3, changes: [row('whole')], removed: [] });
    expect(store.getState().byId.get('whole')?.name).toBe('whole.bin');
  });
});

describe('the summary never contradicts itself (issue 16, must fix 5)', () => {
  const text = (rows: TransferSummary[], start: RunStart | null = null): string => {
    const t = totals(rows);
    return progressText(t, runProgress(t, start));
  };

  test('uploads not yet sized count as left to move, not as nothing', () => {
    const many = [row('u1', { direction: 'upload', state: 'active', total: null }), ...Array.from({ length: 41 }, (_, i) => row(`q${i}`, { direction: 'upload', total: null }))];
    expect(totals(many).unsized).toBe(42);
    expect(text(many)).toBe('42 to move, sizes not known yet');
    const mixed = [row('a', { state: 'active', bytes: 512, total: 1024 }), row('b', { total: null })];
    expect(text(mixed)).toBe('512 B of 1.00 KiB and 1 of unknown size');
    // Each transfer counts as one, a sized one by its share: a half-moved one of two is a quarter.
    expect(runProgress(totals(mixed), null).fraction).toBe(0.25);
    expect(text([row('c', { state: 'active', bytes: 256, total: 1024 })])).toBe('256 B of 1.00 KiB (25%)');
    expect(text([row('d', { state: 'completed', bytes: 1024 })])).toBe('Nothing left to move');
  });

  test('a run counts what finished since it began, so finishing moves the bar forward, and it ends with all finished', () => {
    const before = [row('old', { state: 'completed', bytes: 5000, total: 5000 })];
    const start = runStart(totals(before));
    const done = (id: string) => row(id, { state: 'completed', bytes: 1000, total: 1000 });
    const halfway = [...before, done('a'), done('b'), row('c', { state: 'active', bytes: 500, total: 1000 }), row('d')];
    expect(runProgress(totals(halfway), start)).toMatchObject({ count: 4, completed: 2, left: 2, bytes: { done: 2500, size: 4000 }, fraction: 2500 / 4000 });
    expect(text(halfway, start)).toBe('2.44 KiB of 3.91 KiB (62%)');
    // c finishes: the share grows (without the run, the sums of what is left would fall back to 0%).
    const later = [...before, done('a'), done('b'), done('c'), row('d', { state: 'active', bytes: 100, total: 1000 })];
    expect(runProgress(totals(later), start).fraction).toBeGreaterThan(2500 / 4000);
    // A size not known yet: counted by transfers.
    // c half moved, d not at all (1000 B of 2000 B): 2 + 2 × 0.25 of 5.
    expect(text([...halfway, row('e', { total: null })], start)).toBe('2 of 5 finished (50%)');
    expect(text([...before, done('a'), done('b'), done('c')], start)).toBe('All 3 finished');
    expect(text([...before, done('a')], start)).toBe('Finished');
    expect(text([...before, done('a'), row('f', { state: 'failed' })], start)).toBe('Done: 1 finished, 1 failed');
    // Finished rows removed during the run never count below nothing.
    expect(runProgress(totals([row('g', { state: 'active', bytes: 1, total: 2 })]), start)).toMatchObject({ count: 1, completed: 0, bytes: { done: 1, size: 2 } });
  });
});

describe('new items are visible (issue 16)', () => {
  test('Newest first: the latest added on top, and among those added in the same millisecond the later one (higher seq) first', () => {
    // Ten links added at once share a createdAt; a high priority puts x1 first in queue order.
    const rows = [
      row('x1', { createdAt: 2000, seq: 1, priority: 5 }),
      row('x2', { createdAt: 2000, seq: 2 }),
      row('x3', { createdAt: 2000, seq: 3 }),
      row('old', { createdAt: 1000, seq: 0 }),
      row('new', { createdAt: 3000, seq: 4 }),
    ];
    const byId = new Map(rows.map((t) => [t.id, t]));
    const order = ['x1', 'old', 'x2', 'x3', 'new'];
    expect(visibleIds({ byId, order, filter: 'all', search: '', sort: 'added' })).toEqual(['new', 'x3', 'x2', 'x1', 'old']);
  });
});
