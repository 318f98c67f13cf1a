/**
 * The shell's small managers, against stand-ins for Electron's APIs: the power blocker's
 * named holds, and the notifications it keeps up and closes on time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Notice } from '../../electron/common/service';
import { NOTE_SHOWN_MS, type NoteSpec, Notifier, type ShownNote, osNotification } from '../../electron/main/notifier';
import { PowerBlocker, type PowerSaveApi } from '../../electron/main/power';

/** powerSaveBlocker as Electron keeps it: ids, started until stopped. */
function fakePowerSave() {
  const started = new Set<number>();
  const calls: string[] = [];
  let next = 1;
  const api: PowerSaveApi = {
    start: (type) => (calls.push(`start ${type}`), started.add(next), next++),
    stop: (id) => (calls.push(`stop ${id}`), started.delete(id)),
    isStarted: (id) => started.has(id),
  };
  return { api, calls, started };
}

test('power: one OS blocker while any holder holds; holding or releasing twice changes nothing', () => {
  const fake = fakePowerSave();
  const power = new PowerBlocker(fake.api);
  power.hold('transfers');
  power.hold('transfers');
  power.set('transfers', true);
  power.hold('quitting');
  assert.deepEqual(fake.calls, ['start prevent-app-suspension']);
  power.release('transfers');
  assert.equal(power.blocking, true, 'still held by the other holder');
  power.release('transfers');
  power.set('quitting', false);
  assert.deepEqual(fake.calls, ['start prevent-app-suspension', 'stop 1']);
  assert.equal(power.blocking, false);
  power.release('quitting');
  assert.equal(fake.calls.length, 2);
});

test('power: a blocker stopped behind its back is started again when needed, and not stopped twice', () => {
  const fake = fakePowerSave();
  const power = new PowerBlocker(fake.api);
  power.hold('transfers');
  fake.started.clear(); // someone else stopped it
  power.hold('transfers');
  assert.deepEqual(fake.calls, ['start prevent-app-suspension', 'start prevent-app-suspension']);
  fake.started.clear();
  power.release('transfers');
  assert.deepEqual(fake.calls.length, 2, 'nothing to stop');
});

test('power: dispose releases everything, is safe twice, and later holds do nothing', () => {
  const fake = fakePowerSave();
  const power = new PowerBlocker(fake.api);
  power.hold('transfers');
  power.hold('quitting');
  power.dispose();
  power.dispose();
  power.hold('transfers');
  assert.deepEqual(fake.calls, ['start prevent-app-suspension', 'stop 1']);
  assert.equal(fake.started.size, 0);
});

const failed: Notice = { level: 'error', title: '2 downloads failed', body: 'a failed: x\nb failed: y', ids: ['a', 'b'] };
const done: Notice = { level: 'info', title: 'clip.mp4 completed', body: 'Verified against its checksum.', ids: ['c'] };

test('a notice becomes an OS notification only when the window is not in front; completions are silent; each has its time', () => {
  assert.equal(osNotification(done, true), null);
  assert.deepEqual(osNotification(done, false), { title: 'clip.mp4 completed', body: 'Verified against its checksum.', silent: true, closeAfterMs: NOTE_SHOWN_MS.info });
  assert.deepEqual(osNotification(failed, false), { title: '2 downloads failed', body: 'a failed: x\nb failed: y', silent: false, closeAfterMs: NOTE_SHOWN_MS.error });
  assert.ok(NOTE_SHOWN_MS.error > NOTE_SHOWN_MS.info);
});

/** A notification as the OS would show it: the test can click it or close it. */
class FakeNote implements ShownNote {
  state: 'new' | 'shown' | 'closed' = 'new';
  private click: () => void = () => undefined;
  private closed: () => void = () => undefined;
  constructor(readonly spec: NoteSpec) {}
  show(): void {
    this.state = 'shown';
  }
  close(): void {
    this.state = 'closed';
  }
  onClick(listener: () => void): void {
    this.click = listener;
  }
  onClosed(listener: () => void): void {
    this.closed = listener;
  }
  clickIt(): void {
    this.click();
  }
  closeByPerson(): void {
    this.state = 'closed';
    this.closed();
  }
}

test('notifications close themselves after their time; a click shows the window and closes it; one closed by the person is let go', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const notes: FakeNote[] = [];
  let windowShown = 0;
  const notifier = new Notifier((spec) => {
    const note = new FakeNote(spec);
    notes.push(note);
    return note;
  }, () => windowShown++);
  notifier.show(osNotification(done, false)!);
  notifier.show(osNotification(failed, false)!);
  assert.deepEqual(notes.map((n) => n.state), ['shown', 'shown']);
  assert.equal(notifier.showing, 2, 'both kept referenced while up');
  t.mock.timers.tick(NOTE_SHOWN_MS.info);
  assert.deepEqual(notes.map((n) => n.state), ['closed', 'shown'], 'the completion left on its own');
  notes[1]!.clickIt();
  assert.deepEqual([notes[1]!.state, windowShown, notifier.showing], ['closed', 1, 0]);
  notifier.show(osNotification(done, false)!);
  notes[2]!.closeByPerson();
  assert.equal(notifier.showing, 0);
  t.mock.timers.tick(NOTE_SHOWN_MS.error);
  assert.equal(windowShown, 1);
});

test('notifier: dispose closes what is up, is safe twice, and shows nothing after; no OS notifications is no error', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const notes: FakeNote[] = [];
  const notifier = new Notifier((spec) => {
    const note = new FakeNote(spec);
    notes.push(note);
    return note;
  }, () => undefined);
  notifier.show(osNotification(failed, false)!);
  notifier.dispose();
  notifier.dispose();
  notifier.show(osNotification(done, false)!);
  assert.deepEqual(notes.map((n) => n.state), ['closed']);
  const none = new Notifier(() => null, () => undefined);
  none.show(osNotification(done, false)!);
  assert.equal(none.showing, 0);
});
