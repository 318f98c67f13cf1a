/**
 * How endings become notices (electron/engine/service/notices.ts): one summary per burst,
 * each failed file named with its own reason, names and notices in the order the transfers
 * finished.
 */
import assert from 'node:assert/strict';
import { after, mock, test } from 'node:test';
import type { TransferErrorCode } from '../../electron/common/errors';
import { PENDING_INTEGRITY } from '../../electron/common/integrity';
import type { Notice } from '../../electron/common/service';
import type { TransferRecord } from '../../electron/common/transfer';
import { NoticeCollector } from '../../electron/engine/service/notices';
import { openEngine } from '../support/harness';

/** Records as the store makes them, then set to how they ended. */
const store = openEngine();
after(() => store.engine.close());

function record(name: string, state: 'completed' | 'failed' | 'canceled', extra: Partial<TransferRecord> = {}): TransferRecord {
  const { record: added } = store.engine.addDownload({ url: `https://example.invalid/${name}`, dir: store.dir });
  const integrity = state === 'completed' ? { ...PENDING_INTEGRITY, status: 'unverified' as const } : PENDING_INTEGRITY;
  return { ...added, state, name, path: state === 'completed' ? `${store.dir}/${name}` : null, integrity, ...extra };
}

const failure = (name: string, message: string, code: TransferErrorCode = 'stalled'): TransferRecord => record(name, 'failed', { error: { code, message, retryable: true } });

/** A collector whose timers never fire on their own: the test flushes. */
function collect(): { collector: NoticeCollector; notices: Notice[] } {
  const notices: Notice[] = [];
  return { collector: new NoticeCollector((n) => notices.push(n), 60_000, 60_000), notices };
}

test('a burst of failures names each file with its own reason, in the order they finished', () => {
  const { collector, notices } = collect();
  const clip = failure('clip.mp4', 'The server stopped answering for 60 seconds; Ferry tries again when you press Retry.');
  const iso = failure('disk.iso', 'The disk is full: free some space, then press Retry.', 'disk-full');
  const log = failure('build.log', 'HTTP 404: the file is not on the server any more.', 'http-status');
  collector.ended(clip);
  collector.ended(iso);
  collector.ended(log);
  collector.flush();
  assert.equal(notices.length, 1);
  const notice = notices[0]!;
  assert.equal(notice.level, 'error');
  assert.equal(notice.title, '3 downloads failed');
  assert.deepEqual(notice.body.split('\n'), [
    'clip.mp4 failed: the server stopped answering for 60 seconds; Ferry tries again when you press Retry.',
    'disk.iso failed: the disk is full: free some space, then press Retry.',
    // An initialism keeps its capitals.
    'build.log failed: HTTP 404: the file is not on the server any more.',
  ]);
  assert.deepEqual(notice.ids, [clip.id, iso.id, log.id]);
  collector.close();
});

test('past three failures the notice names the first three with their reasons, then the rest by name (or, when many, by count)', () => {
  const { collector, notices } = collect();
  const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin', 'e.bin'];
  for (const name of names) collector.ended(failure(name, `Reason for ${name}.`));
  collector.flush();
  const lines = notices[0]!.body.split('\n');
  assert.deepEqual(lines, ['a.bin failed: reason for a.bin.', 'b.bin failed: reason for b.bin.', 'c.bin failed: reason for c.bin.', 'And 2 more: d.bin, e.bin.']);
  assert.equal(notices[0]!.ids.length, 5);
  // Many more are counted, not listed.
  for (let i = 0; i < 10; i++) collector.ended(failure(`f${i}.bin`, 'Gone.'));
  collector.flush();
  assert.deepEqual(notices[1]!.body.split('\n').slice(3), ['And 7 more.']);
  collector.close();
});

test('one failure: its name in the title, its reason as the body', () => {
  const { collector, notices } = collect();
  collector.ended(failure('clip.mp4', 'The server stopped answering.'));
  collector.flush();
  assert.deepEqual([notices[0]!.title, notices[0]!.body], ['clip.mp4 failed', 'The server stopped answering.']);
  collector.close();
});

test("a burst's notices come in the order their first transfers finished; names within each in finish order", () => {
  const { collector, notices } = collect();
  const first = record('first.bin', 'completed');
  collector.ended(first);
  collector.ended(failure('broken.bin', 'The connection was reset.'));
  collector.ended(record('second.bin', 'completed'));
  collector.ended(record('third.bin', 'completed'));
  collector.flush();
  assert.deepEqual(
    notices.map((n) => [n.level, n.title]),
    [
      ['info', '3 downloads completed'],
      ['error', 'broken.bin failed'],
    ],
  );
  assert.match(notices[0]!.body, /^first\.bin, second\.bin, third\.bin\. /);
  collector.close();
});

test('a record that changes after it ended (retried at once) is still told as it ended, with its reason', () => {
  const { collector, notices } = collect();
  const clip = failure('clip.mp4', 'The server stopped answering.');
  collector.ended(clip);
  // The engine hands over its live record; a retry clears the error and queues it again.
  clip.state = 'queued';
  clip.error = null;
  clip.name = 'renamed.mp4';
  collector.flush();
  assert.deepEqual([notices[0]!.title, notices[0]!.body], ['clip.mp4 failed', 'The server stopped answering.']);
  collector.close();
});

test('a transfer that ends twice in one burst (failed, retried, completed) is told once, as it ended last', () => {
  const { collector, notices } = collect();
  const failed = failure('flaky.bin', 'The connection was reset.');
  collector.ended(failed);
  collector.ended(record('other.bin', 'completed'));
  collector.ended({ ...failed, state: 'completed', error: null, integrity: { ...PENDING_INTEGRITY, status: 'verified' } });
  collector.flush();
  assert.deepEqual(
    notices.map((n) => [n.level, n.title, n.ids.length]),
    [['info', '2 downloads completed', 2]],
  );
  assert.match(notices[0]!.body, /^other\.bin, flaky\.bin\. 1 verified against a checksum/);
  collector.close();
});

test('canceled transfers make no notice; an empty flush publishes nothing', () => {
  const { collector, notices } = collect();
  collector.ended(record('gone.bin', 'canceled'));
  collector.flush();
  collector.flush();
  assert.deepEqual(notices, []);
  collector.close();
});

test('a burst ends after a quiet spell, or at the latest after the maximum delay', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const notices: Notice[] = [];
  const collector = new NoticeCollector((n) => notices.push(n), 750, 3000);
  collector.ended(record('a.bin', 'completed'));
  t.mock.timers.tick(700);
  collector.ended(record('b.bin', 'completed'));
  t.mock.timers.tick(700);
  assert.equal(notices.length, 0, 'still in the burst: the quiet spell restarted');
  t.mock.timers.tick(100);
  assert.deepEqual(notices.map((n) => n.title), ['2 downloads completed']);
  // A steady trickle, each ending within the quiet spell of the last: told at the deadline.
  for (let i = 0; i < 6; i++) {
    collector.ended(record(`t${i}.bin`, 'completed'));
    t.mock.timers.tick(500);
  }
  assert.deepEqual(notices.map((n) => n.title), ['2 downloads completed', '6 downloads completed']);
  collector.close();
  mock.timers.reset();
});
