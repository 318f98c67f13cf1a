/** The CLI's words for people: the list table, a batch's summary, and a new folder tidied away. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { TransferSummary } from '../../electron/common/service';
import { prepareDir } from '../../electron/cli/args';
import { listTable, shortIds } from '../../electron/cli/list-table';
import { Output, batchSentence, flushLines } from '../../electron/cli/output';
import { ResultCollector } from '../../electron/cli/result-collector';
import { exitCodeFor, resolveId } from '../../electron/cli/runner';
import { tempDir } from '../support/harness';

function row(over: Partial<TransferSummary>): TransferSummary {
  return {
    id: '00000000-0000-0000-0000-000000000000',
    direction: 'download',
    state: 'completed',
    name: 'file.bin',
    url: 'http://example.com/file.bin',
    dir: '/tmp',
    path: '/tmp/file.bin',
    bytes: 33_849_344,
    total: 33_849_344,
    speed: 0,
    eta: null,
    integrity: { status: 'unverified', algorithm: 'sha256', expected: null, actual: 'a'.repeat(64), source: null },
    sha256: 'a'.repeat(64),
    checking: false,
    retrying: null,
    error: null,
    priority: 0,
    seq: 1,
    resumes: 0,
    restarts: 0,
    createdAt: 0,
    completedAt: 0,
    ...over,
  };
}

test('short ids: eight characters, longer only where two ids share a longer prefix', () => {
  const ids = shortIds(['abcdef12-1', 'abcdef12-2', '99999999-x']);
  assert.deepEqual([...ids.entries()].sort(), [
    ['99999999-x', '99999999'],
    ['abcdef12-1', 'abcdef12-1'],
    ['abcdef12-2', 'abcdef12-2'],
  ]);
});

test('ferry list: a header, ids, sizes for people, names not URLs, and a failed row says why below it', () => {
  const table = listTable([
    row({ id: 'aaaaaaaa-1', name: 'same.iso' }),
    row({ id: 'bbbbbbbb-2', name: 'same.iso', state: 'failed', bytes: 1024, integrity: { status: 'pending', algorithm: null, expected: null, actual: null, source: null }, error: { code: 'http-status', message: 'HTTP 404 from example.com: the file is not on the server; check the URL', retryable: false } }),
  ]);
  assert.equal(
    table,
    [
      'ID        DIR   STATE      VERDICT          SIZE                  NAME',
      'aaaaaaaa  down  completed  sha256 recorded  32.3 MiB              same.iso',
      'bbbbbbbb  down  failed     -                1.00 KiB of 32.3 MiB  same.iso',
      '          HTTP 404 from example.com: the file is not on the server; check the URL',
      '',
    ].join('\n'),
  );
  assert.match(listTable([]), /^No transfers yet\./);
});

test('a batch in one sentence: how many of how many, their size, and how they were proven', () => {
  const up = (over: Partial<TransferSummary>) => row({ direction: 'upload', ...over });
  assert.equal(batchSentence([up({}), up({})]), "Uploaded 2 of 2 files (64.6 MiB); the server offered no checksum, so each one's SHA-256 is recorded.");
  const verified = { status: 'verified', algorithm: 'sha256', expected: 'a'.repeat(64), actual: 'a'.repeat(64), source: 'tus-checksum' } as const;
  assert.equal(batchSentence([up({ integrity: verified }), up({ state: 'failed' })]), 'Uploaded 1 of 2 files (32.3 MiB); the server verified each one; 1 did not complete (above).');
  assert.equal(batchSentence([up({ integrity: verified }), up({})]), 'Uploaded 2 of 2 files (64.6 MiB); 1 verified, 1 with their SHA-256 recorded.');
});

test('a folder the command created is removed again when nothing was put in it; one that held something, or existed, stays', () => {
  const base = tempDir('cli-dir-');
  const fresh = prepareDir(path.join(base, 'new', 'deeper'));
  assert.ok(fs.statSync(fresh.path).isDirectory());
  fresh.tidy();
  assert.deepEqual(fs.readdirSync(base), []);

  const used = prepareDir(path.join(base, 'used'));
  fs.writeFileSync(path.join(used.path, 'file.bin.ferry-partial'), 'x');
  used.tidy();
  assert.ok(fs.existsSync(path.join(base, 'used', 'file.bin.ferry-partial')));

  const existing = prepareDir(base);
  existing.tidy();
  assert.ok(fs.existsSync(base));
});

test('an id is its whole self or a prefix of at least four characters that no other id shares', () => {
  const views = [row({ id: 'abcd1234-x' }), row({ id: 'abcd9999-y' }), row({ id: 'ffff0000-z' })];
  assert.equal(resolveId('abcd1234-x', views), 'abcd1234-x');
  assert.equal(resolveId('ffff', views), 'ffff0000-z');
  assert.throws(() => resolveId('abcd', views), /2 transfers have ids starting with abcd; give more of it/);
  assert.throws(() => resolveId('fff', views), /no transfer has the id fff/);
});

test('results taken as each transfer settles, in any order, print what the records kept to the end printed, with the same exit code (issue 13)', () => {
  const mismatch = { status: 'mismatch', algorithm: 'sha256', expected: 'b'.repeat(64), actual: 'a'.repeat(64), source: 'user' } as const;
  const views = [
    row({ id: '1', path: '/tmp/a.bin' }),
    row({ id: '2', state: 'failed', error: { code: 'http-status', message: 'HTTP 404', retryable: false } }),
    row({ id: '3', integrity: mismatch, state: 'failed' }),
    row({ id: '4', state: 'queued', bytes: 10 }),
    row({ id: '5', path: '/tmp/b.bin' }),
  ];
  const printed = (print: () => void): string => {
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => chunks.push(chunk) > 0) as typeof process.stdout.write;
    try {
      print();
      flushLines(); // NDJSON lines wait for the turn's end
    } finally {
      process.stdout.write = write;
    }
    return chunks.join('');
  };
  for (const options of [{ json: true }, { json: false }, { json: false, condensed: true }]) {
    const output = new Output(options);
    const collector = new ResultCollector(output, views.length);
    // With --json some lines go out as they settle; all that is printed, from the first add
    // to the end, is what Output.results prints at once.
    const all = printed(() => {
      for (const i of [4, 1, 0, 3, 2]) collector.add(i, views[i]!);
      collector.printResults();
    });
    assert.equal(all, printed(() => output.results(views)), JSON.stringify(options));
    assert.equal(collector.exitCode(), exitCodeFor(views));
    assert.equal(printed(() => collector.printStopped()), printed(() => output.stoppedAll(views)));
  }
  // --json: a line goes out once all before it in the command's order have ended; one that
  // did not end (queued, paused) holds the rest until the end.
  const streaming = new ResultCollector(new Output({ json: true }), views.length);
  const ids = (text: string): string[] => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(ids(printed(() => streaming.add(1, views[1]!))), [], 'the first has not settled: nothing yet');
  assert.deepEqual(ids(printed(() => streaming.add(0, views[0]!))), ['1', '2']);
  assert.deepEqual(ids(printed(() => streaming.add(4, views[4]!))), []);
  assert.deepEqual(ids(printed(() => streaming.add(2, views[2]!))), ['3']);
  assert.deepEqual(ids(printed(() => streaming.add(3, views[3]!))), [], 'a transfer that did not end waits for the end');
  assert.deepEqual(ids(printed(() => streaming.printResults())), ['4', '5']);
  // An interrupt: the ended ones held behind one that did not end still get their lines,
  // before the stopped lines.
  const interrupted = new ResultCollector(new Output({ json: true }), 3);
  const byType = (text: string): string[] => text.split('\n').filter(Boolean).map((l) => { const e = JSON.parse(l) as { type: string; id: string }; return `${e.type} ${e.id}`; });
  assert.deepEqual(byType(printed(() => [1, 2].forEach((i) => interrupted.add(i, views[i === 1 ? 0 : 4]!)))), []);
  assert.deepEqual(byType(printed(() => interrupted.add(0, views[3]!))), [], 'the first did not end: the rest wait');
  assert.deepEqual(byType(printed(() => interrupted.printStopped())), ['result 1', 'result 5', 'stopped 4']);
  const done = new ResultCollector(new Output({ json: true }), 1);
  printed(() => done.add(0, views[0]!));
  assert.equal(done.exitCode(), exitCodeFor([views[0]!]));
});

test('NDJSON events wait for the end of the turn and go out in one write, before anything else printed and in their order (issue 13)', async () => {
  const chunks: string[] = [];
  const write = process.stdout.write;
  // The test runner's own reports to its parent go through stdout too, as buffers: passed on.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? chunks.push(chunk) > 0 : write.call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
  try {
    const output = new Output({ json: true });
    output.emit({ type: 'started', id: '1' });
    output.emit({ type: 'started', id: '2' });
    assert.deepEqual(chunks, [], 'nothing written yet');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(chunks, ['{"type":"started","id":"1"}\n{"type":"started","id":"2"}\n'], 'one write at the turn\'s end');
    output.emit({ type: 'started', id: '3' });
    output.printResults(['{"type":"result","id":"3"}'], null);
    assert.deepEqual(chunks.slice(1), ['{"type":"started","id":"3"}\n', '{"type":"result","id":"3"}\n'], 'results come after the events before them');
  } finally {
    process.stdout.write = write;
  }
});
