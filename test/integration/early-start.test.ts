/**
 * A command's new transfers start as each group of its adds is written (issue 13): the
 * first requests go out while thousands more are added. A Ctrl-C in that window stops what
 * started with checkpoints, starts nothing more, gives every transfer of the command its
 * line and exits 130; the same command then continues them, once each.
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
  // The test runner reports on stdout too, in bytes; the command's lines are strings.
  const keep = (chunk: string | Uint8Array): boolean => typeof chunk !== 'string' || out.push(chunk) > 0;
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

test('the first group starts before the next is added; a Ctrl-C then starts nothing more, says every transfer, and the same command ends them all once (issue 13)', async () => {
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
  assert.equal(ended.length + held.length, count, `every transfer of the command has its line, the ones never started too (${ended.length} ended, ${held.length} stopped)`);
  assert.ok(held.length >= count - ADD_GROUP, 'the later groups were added and wait');
  for (const line of ended) assert.equal(line.sha256, sha256(fs.readFileSync(line.path as string)));

  const second = openEngine(first.dataDir, first.dir, {}, limits);
  const again = await get(new LocalRunner(second.engine, new Output({ json: true })), second.dir);
  assert.equal(again.value, 0);
  const results = again.lines.filter((l) => l.type === 'result');
  assert.deepEqual(results.map((r) => r.sha256), bodies.map(sha256));
  assert.deepEqual(new Set(results.map((r) => r.id)), new Set([...ended, ...held].map((l) => l.id)), 'the same transfers, no duplicates');
  assert.equal(fs.readdirSync(first.dir).length, count);
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
      (group) => {
        if (groups++ === 0) t.engine.store.setState(group[0]!.record.id, 'completed', Date.now());
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
