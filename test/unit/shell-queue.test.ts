/**
 * What the shell shows outside the window, from the queue: the totals it keeps
 * (QueueWatch), the dock and taskbar bar and badge, the tray's menu and tooltip, and the
 * question before quitting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ok } from '../../electron/common/result';
import type { Notice, ServiceEvent, Snapshot, TransferChange, TransferClient } from '../../electron/common/service';
import { type QueueTotals, QueueWatch } from '../../electron/main/queue-watch';
import { quitQuestion } from '../../electron/main/quit-prompt';
import { badgeCount, taskbarProgress } from '../../electron/main/taskbar';
import { sameMenu, trayMenu, trayTooltip } from '../../electron/main/tray-menu';

const IDLE: QueueTotals = { active: 0, activeUploads: 0, queued: 0, paused: 0, progress: null, speed: 0, failedThisRun: 0 };
const totals = (extra: Partial<QueueTotals>): QueueTotals => ({ ...IDLE, ...extra });

/** A client that answers the snapshot given and lets the test send events; only what QueueWatch uses. */
function fakeClient(transfers: TransferChange[]) {
  const listeners = new Set<(event: ServiceEvent) => void>();
  const client = {
    onEvent(listener: (event: ServiceEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: async () => ok({ transfers, batch: 1 } as unknown as Snapshot),
  } as unknown as TransferClient;
  let batch = 1;
  const send = (changes: TransferChange[], removed: string[] = []): void => {
    for (const l of listeners) l({ type: 'changes', batch: ++batch, changes, removed });
  };
  return { client, send, listening: () => listeners.size, notify: (notice: Notice) => listeners.forEach((l) => l({ type: 'notice', notice })) };
}

test('QueueWatch: totals from the snapshot and each batch, uploads counted apart, failures counted for the run until the queue is idle', async () => {
  const fake = fakeClient([
    { id: 'd1', direction: 'download', state: 'active', bytes: 50, total: 100, speed: 10 },
    { id: 'u1', direction: 'upload', state: 'active', bytes: 0, total: 100, speed: 5 },
    { id: 'd2', direction: 'download', state: 'paused', bytes: 0, total: null, speed: 0 },
    { id: 'd3', direction: 'download', state: 'completed', bytes: 10, total: 10, speed: 0 },
  ]);
  const seen: QueueTotals[] = [];
  const notices: Notice[] = [];
  const watch = new QueueWatch(fake.client, (t) => seen.push(t), (n) => notices.push(n));
  await watch.start();
  assert.deepEqual(seen.at(-1), { active: 2, activeUploads: 1, queued: 0, paused: 1, progress: 0.25, speed: 15, failedThisRun: 0 });
  fake.send([{ id: 'u1', state: 'failed', speed: 0 }, { id: 'n1', direction: 'upload', state: 'queued', bytes: 0, total: 40, speed: 0 }]);
  assert.deepEqual(seen.at(-1), { active: 1, activeUploads: 0, queued: 1, paused: 1, progress: 50 / 140, speed: 10, failedThisRun: 1 });
  fake.send([{ id: 'u1', state: 'failed' }]); // told again, still one failure
  assert.equal(seen.at(-1)!.failedThisRun, 1);
  fake.send([{ id: 'n1', state: 'active', speed: 7 }]);
  assert.deepEqual([seen.at(-1)!.activeUploads, seen.at(-1)!.active], [1, 2]);
  // The run ends: nothing active, queued or paused.
  fake.send([{ id: 'd1', state: 'completed' }, { id: 'n1', state: 'completed' }], ['d2']);
  assert.deepEqual(seen.at(-1), IDLE);
  fake.notify({ level: 'info', title: 't', body: 'b', ids: [] });
  assert.equal(notices.length, 1);
  watch.dispose();
  watch.dispose();
  assert.equal(fake.listening(), 0, 'disposed: no longer listening');
});

test('taskbar: no bar when idle; the fraction while moving; red after a failure in the run; paused when only paused ones are left; indeterminate without sizes', () => {
  assert.deepEqual(taskbarProgress(IDLE), { progress: -1, mode: 'none' });
  assert.deepEqual(taskbarProgress(totals({ active: 1, progress: 0.4 })), { progress: 0.4, mode: 'normal' });
  assert.deepEqual(taskbarProgress(totals({ queued: 3, progress: 0 })), { progress: 0, mode: 'normal' });
  assert.deepEqual(taskbarProgress(totals({ active: 1, failedThisRun: 2, progress: 0.5 })), { progress: 0.5, mode: 'error' });
  assert.deepEqual(taskbarProgress(totals({ paused: 2, failedThisRun: 1, progress: 0.7 })), { progress: 0.7, mode: 'paused' });
  assert.deepEqual(taskbarProgress(totals({ active: 1, progress: null })), { progress: 2, mode: 'indeterminate' });
  assert.deepEqual(taskbarProgress(totals({ paused: 1, progress: null })), { progress: -1, mode: 'none' });
  assert.deepEqual(taskbarProgress(totals({ active: 1, progress: 1.2 })), { progress: 1, mode: 'normal' }, 'never past full (above 1 means indeterminate to Electron)');
});

test('the badge counts what Ferry still does by itself: moving and waiting, not paused', () => {
  assert.equal(badgeCount(totals({ active: 2, queued: 3, paused: 4 })), 5);
  assert.equal(badgeCount(totals({ paused: 4 })), 0);
});

test('tray: the queue in a line, Pause all and Resume all enabled only when they would do something, the speed in the tooltip only', () => {
  const idle = trayMenu(IDLE);
  assert.equal(idle.tooltip, 'Ferry: Nothing to do');
  assert.deepEqual(idle.items, [
    { type: 'status', label: 'Nothing to do' },
    { type: 'separator' },
    { type: 'action', action: 'show', label: 'Show Ferry', enabled: true },
    { type: 'action', action: 'pause-all', label: 'Pause all', enabled: false },
    { type: 'action', action: 'resume-all', label: 'Resume all', enabled: false },
    { type: 'separator' },
    { type: 'action', action: 'quit', label: 'Quit Ferry', enabled: true },
  ]);
  const busy = trayMenu(totals({ active: 2, queued: 1, paused: 3, failedThisRun: 1, speed: 1536 }));
  assert.equal(busy.tooltip, 'Ferry: 2 moving, 1 waiting, 3 paused, 1 failure in this run at 1.50 KiB/s');
  assert.deepEqual(busy.items[0], { type: 'status', label: '2 moving, 1 waiting, 3 paused, 1 failure in this run' });
  assert.deepEqual(busy.items[3], { type: 'action', action: 'pause-all', label: 'Pause all (3)', enabled: true });
  assert.deepEqual(busy.items[4], { type: 'action', action: 'resume-all', label: 'Resume all (3)', enabled: true });
  assert.equal(trayTooltip(totals({ paused: 1 })), 'Ferry: 1 paused');
  // A new speed changes the tooltip, not the menu: no rebuild (which would close an open menu).
  assert.equal(sameMenu(busy, trayMenu(totals({ active: 2, queued: 1, paused: 3, failedThisRun: 1, speed: 99 }))), true);
  assert.equal(sameMenu(busy, trayMenu(totals({ active: 1, queued: 1, paused: 3, failedThisRun: 1 }))), false);
  assert.equal(sameMenu(null, busy), false);
});

test('quitting: no question when nothing moves; otherwise what moves and what quitting costs, keeping on by default', () => {
  assert.equal(quitQuestion({ active: 0, activeUploads: 0 }), null);
  const one = quitQuestion({ active: 1, activeUploads: 0 })!;
  assert.equal(one.message, '1 download is still moving. Quit anyway?');
  assert.equal(one.detail, 'Ferry saves its progress and continues when it starts again. A download whose server cannot resume it safely starts over.');
  assert.deepEqual([one.buttons[one.quitId], one.buttons[one.defaultId], one.cancelId], ['Quit', 'Keep running', one.defaultId]);
  const mixed = quitQuestion({ active: 3, activeUploads: 1 })!;
  assert.equal(mixed.message, '2 downloads and 1 upload are still moving. Quit anyway?');
  assert.match(mixed.detail, /^Ferry saves their progress .* A download whose server cannot resume it safely starts over\. An upload sent with plain PUT \(not tus\) starts over\.$/);
  const uploads = quitQuestion({ active: 2, activeUploads: 2 })!;
  assert.equal(uploads.message, '2 uploads are still moving. Quit anyway?');
  assert.doesNotMatch(uploads.detail, /download/);
});
