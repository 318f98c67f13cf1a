/**
 * A command's new transfers start as each group of its adds is written (issue 13): the
 * first requests go out while thousands more are added. A Ctrl-C in that window stops what
 * started with checkpoints, starts and adds nothing more, gives every transfer added its
 * line and exits 130; the same command then adds the rest and continues them, once each.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { ADD_GROUP } from '../../electron/engine/add-inputs';
import { LocalRunner } from '../../electron/cli/local-runner';
import { Output, flushLines } from '../../electron/cli/output';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine } from '../support/harness';

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

/** Runs `work` with what it writes to stdout and stderr kept, not printed. */
async function captured<T>(work: () => Promise<T>): Promise<{ value: T; lines: Array<Record<string, unknown>> }> {
  const out: string[] = [];
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  // The test runner reports on stdout too, in bytes, and they go on (a test's report may
  // come while the next test holds stdout); the command's lines are strings.
  const keep = (chunk: string | Uint8Array, ...rest: unknown[]): boolean =>
    typeof chunk !== 'string' ? (write.stdout as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest) : out.push(chunk) > 0;
  process.stdout.write = keep as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const value = await work();
    flushLines();
    const lines = out.join('').split('\n').filter(Boolean);
    return { value, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
}

test('the first group starts before the next is added; a Ctrl-C then starts and adds nothing more, says every transfer added, and the same command ends them all once (issue 13)', async () => {
  const count = ADD_GROUP * 2 + 100;
  const bodies = Array.from({ length: count }, (_, i) => randomBytesOf(1500, 4000 + i));
  // The first four stall part-way: they are still moving at the Ctrl-C.
  const urls = bodies.map((body, i) => server.serve(`/early/${i}.bin`, { body, etag: `"x${i}"` }, i < 4 ? [{ stallAfter: 700 }] : []));
  const request = { urls, name: null, checksum: null, headers: [], ifDone: 'reuse' as const, sidecar: false };
  const limits = { limits: { maxActive: 4, maxPerHost: 4 } };

  const first = openEngine(undefined, undefined, {}, limits);
  const runner = new LocalRunner(first.engine, new Output({ json: true }));
  // The Ctrl-C comes at the turn after the first group started (inGroups waits one turn of
  // the event loop before the next group), so the adds go on after it.
  const start = first.engine.start.bind(first.engine);
  const starts: string[][] = [];
  first.engine.start = (ids: string[]): void => {
    if (starts.push(ids) === 1) setImmediate(() => process.emit('SIGINT'));
    start(ids);
  };
  // What `ferry get -i` does with a runner: add, run, close; its lines kept.
  const get = (r: LocalRunner, dir: string) =>
    captured(async () => {
      const added = await r.addDownloads({ ...request, dir });
      try {
        return await r.run(added.map((a) => a.view.id));
      } finally {
        await r.close();
      }
    });
  const stopped = await get(runner, first.dir);
  assert.equal(stopped.value, 130);
  assert.equal(starts.length, 1, 'the first group started as it was written, and nothing after the Ctrl-C');
  assert.equal(starts[0]!.length, ADD_GROUP);
  const requested = server.log.filter((r) => r.path.startsWith('/early/')).map((r) => Number(r.path.slice('/early/'.length, -'.bin'.length)));
  assert.ok(requested.every((i) => i < ADD_GROUP), `only the first group was requested (${Math.max(...requested)} the highest)`);
  const ended = stopped.lines.filter((l) => l.type === 'result');
  const held = stopped.lines.filter((l) => l.type === 'stopped');
  assert.equal(ended.length + held.length, ADD_GROUP, `every transfer added has its line, the ones stopped too (${ended.length} ended, ${held.length} stopped)`);
  assert.ok(held.length >= 4, 'the four that stalled were stopped');
  for (const line of ended) assert.equal(line.sha256, sha256(fs.readFileSync(line.path as string)));

  const second = openEngine(first.dataDir, first.dir, {}, limits);
  const again = await get(new LocalRunner(second.engine, new Output({ json: true })), second.dir);
  assert.equal(again.value, 0);
  const results = again.lines.filter((l) => l.type === 'result');
  assert.deepEqual(results.map((r) => r.sha256), bodies.map(sha256), 'the rest of the list was added and downloaded');
  const ids = new Set(results.map((r) => r.id));
  assert.equal(ids.size, count);
  for (const line of [...ended, ...held]) assert.ok(ids.has(line.id as string), 'a transfer of the first run is continued, not doubled');
  assert.equal(fs.readdirSync(first.dir).length, count);
});

test('a Ctrl-C while adding launches nothing more: the queue the first group filled does not move on until run() (issue 13)', async () => {
  const count = ADD_GROUP * 20;
  const urls = Array.from({ length: count }, (_, i) => server.serve(`/held/${i}.bin`, { body: randomBytesOf(1500, 9000 + i), etag: `"h${i}"` }));
  const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 2, maxPerHost: 2 } });
  const runner = new LocalRunner(t.engine, new Output({ json: true }));
  const launched = (): number => t.events.filter((e) => e.type === 'state' && (e as { state: string }).state === 'active').length;
  let atCtrlC = -1;
  let atRun = -1;
  const start = t.engine.start.bind(t.engine);
  let starts = 0;
  t.engine.start = (ids: string[]): void => {
    if (starts++ === 0)
      setImmediate(() => {
        process.emit('SIGINT');
        atCtrlC = launched();
      });
    start(ids);
  };
  const run = runner.run.bind(runner);
  runner.run = (ids: string[]) => {
    atRun = launched();
    return run(ids);
  };
  const { value, lines } = await captured(async () => {
    const added = await runner.addDownloads({ urls, dir: t.dir, name: null, checksum: null, headers: [], ifDone: 'reuse', sidecar: false });
    try {
      return await runner.run(added.map((a) => a.view.id));
    } finally {
      await runner.close();
    }
  });
  assert.equal(value, 130);
  assert.ok(atCtrlC > 0);
  assert.equal(atRun, atCtrlC, `${atRun - atCtrlC} transfers were launched after the Ctrl-C`);
  assert.equal(lines.length, ADD_GROUP, 'one line for each transfer added before the Ctrl-C, none after');
});

test('a Ctrl-C while adding proves no more finished files: a group still proving them is dropped unwritten (issue 13)', async () => {
  const size = 64 << 10;
  // Three groups with the new link: the first starts it, the second is proving its files at the Ctrl-C, the third must not begin.
  const doneUrls = Array.from({ length: ADD_GROUP * 2 }, (_, i) => server.serve(`/proven/${i}.bin`, { body: randomBytesOf(size, 500 + i), etag: `"p${i}"` }));
  const first = openEngine();
  const earlier = await first.engine.addDownloads(doneUrls.map((url) => ({ url, dir: first.dir, ifDone: 'reuse' as const })));
  assert.ok((await first.engine.runAll(earlier.map((a) => a.record.id))).every((r) => r.state === 'completed'));
  await first.engine.close();

  // The command: one new link that stalls (the first group starts it), then the finished
  // ones again; the Ctrl-C comes as the second group begins to prove its files.
  const fresh = server.serve('/proven-new.bin', { body: randomBytesOf(100_000, 4), etag: '"n"' }, [{ stallAfter: 10_000 }]);
  const t = openEngine(first.dataDir, first.dir);
  const runner = new LocalRunner(t.engine, new Output({ json: true }));
  const pool = (t.engine as unknown as { context: { hashPool: { open: (...a: unknown[]) => unknown } } }).context.hashPool;
  const open = pool.open.bind(pool);
  let started = false;
  let interrupted = false;
  let provedAfter = 0;
  pool.open = (...a: unknown[]) => {
    // A finished file proved again is one hashFile session (no buffers of its own); a
    // group opens all of its sessions in one go, before the Ctrl-C's turn.
    if (started && Array.isArray(a[1]) && a[1].length === 0) {
      if (interrupted) provedAfter++;
      else
        queueMicrotask(() => {
          process.emit('SIGINT');
          interrupted = true;
        });
    }
    return open(...a);
  };
  const start = t.engine.start.bind(t.engine);
  t.engine.start = (ids: string[]): void => {
    started = true;
    start(ids);
  };
  const { value, lines } = await captured(async () => {
    const got = await runner.addDownloads({ urls: [fresh, ...doneUrls], dir: t.dir, name: null, checksum: null, headers: [], ifDone: 'reuse', sidecar: false });
    try {
      return await runner.run(got.map((a) => a.view.id));
    } finally {
      await runner.close();
    }
  });
  assert.equal(value, 130);
  assert.ok(interrupted, 'the second group was proving its finished files');
  assert.equal(provedAfter, 0, `${provedAfter} more finished files were proved after the Ctrl-C`);
  assert.equal(lines.length, ADD_GROUP, 'the first group has its lines; the second was not added');
  assert.equal(lines.filter((l) => l.type === 'result' && l.state === 'completed').length, ADD_GROUP - 1, 'the finished files of the first group are said as done');
});

test('the same link twice in one add, groups apart, is one transfer, also when the first has ended before the second is written (issue 13)', async () => {
  const t = openEngine();
  try {
    const twice = 'http://127.0.0.1:9/twice.bin';
    const urls = [twice, ...Array.from({ length: ADD_GROUP + 50 }, (_, i) => `http://127.0.0.1:9/other/${i}.bin`), twice];
    let groups = 0;
    // As if the first group's start had run the first link to its end before the last group is added.
    const added = await t.engine.addDownloads(
      urls.map((url) => ({ url, dir: t.dir, ifDone: 'download' as const })),
      {
        onGroup: (group) => {
          if (groups++ === 0) t.engine.store.setState(group[0]!.record.id, 'completed', Date.now());
        },
      },
    );
    assert.equal(groups, 2);
    assert.equal(added.at(-1)!.record.id, added[0]!.record.id, 'the second mention is the first transfer');
    assert.equal(added.at(-1)!.existing, true);
    assert.equal(t.engine.list().length, urls.length - 1, 'no second transfer for the same link');
    const plain = await t.engine.addDownloads([{ url: twice, dir: t.dir, ifDone: 'download' }]);
    assert.notEqual(plain[0]!.record.id, added[0]!.record.id, 'a later command with --force downloads it again, as before');
  } finally {
    await t.engine.close();
  }
});

test('a finished link given twice in one command is "already downloaded" both times (issue 13)', async () => {
  const url = server.serve('/done-twice.bin', { body: randomBytesOf(2000, 99), etag: '"d"' });
  const t = openEngine();
  try {
    const [first] = await t.engine.addDownloads([{ url, dir: t.dir, ifDone: 'reuse' }]);
    assert.equal((await t.engine.run(first!.record.id)).state, 'completed');
    // What `ferry get URL URL` does: the runner adds with its early-start hook.
    const runner = new LocalRunner(t.engine, new Output({ json: false }));
    const added = await runner.addDownloads({ urls: [url, url], dir: t.dir, name: null, checksum: null, headers: [], ifDone: 'reuse', sidecar: false });
    assert.deepEqual(
      added.map((a) => [a.view.id, a.alreadyDone]),
      [
        [first!.record.id, true],
        [first!.record.id, true],
      ],
      'not "Continuing the unfinished download" for a finished file',
    );
    // The same as an add without the hook (the service, the door).
    const plain = await t.engine.addDownloads([{ url, dir: t.dir, ifDone: 'reuse' }, { url, dir: t.dir, ifDone: 'reuse' }]);
    assert.deepEqual(plain.map((a) => a.alreadyDone), [true, true]);
  } finally {
    await t.engine.close();
  }
});
