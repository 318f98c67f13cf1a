import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ADD_GROUP } from '../../electron/engine/add-inputs';
import { UndiciTransport } from '../../electron/engine/http/undici-transport';
import { CountingServer } from '../support/counting-server';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { listDir, openEngine, type TestEngine } from '../support/harness';

/** Adds downloads of `urls` without starting them. */
function add(t: TestEngine, urls: string[]): string[] {
  return urls.map((url) => t.engine.addDownload({ url, dir: t.dir }).record.id);
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Ferry counts its own limits (DESIGN.md section 5)', () => {
  test('HTTP/1.1 keep-alive: requests in flight per host never exceed the limit, and reach it', async () => {
    const a = await new CountingServer(40_000, 40).startHttp1();
    const b = await new CountingServer(40_000, 40).startHttp1();
    try {
      const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 8, maxPerHost: 3 } });
      const ids = add(t, [...Array.from({ length: 15 }, (_, i) => a.url(i)), ...Array.from({ length: 15 }, (_, i) => b.url(i))]);
      const records = await t.engine.runAll(ids);
      await t.engine.close();
      for (const [i, record] of records.entries()) {
        assert.equal(record.state, 'completed');
        assert.equal(sha256(fs.readFileSync(record.path!)), sha256((i < 15 ? a : b).bodyOf(i % 15)));
      }
      assert.equal(a.maxInFlight, 3, `host a saw ${a.maxInFlight} at once`);
      assert.equal(b.maxInFlight, 3, `host b saw ${b.maxInFlight} at once`);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('HTTP/2: every request shares one connection, and Ferry still holds the per-host limit', async () => {
    const { server, ca } = await new CountingServer(40_000, 40).startHttp2();
    try {
      const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 10, maxPerHost: 2 }, transport: new UndiciTransport({ ca }) });
      const records = await t.engine.runAll(add(t, Array.from({ length: 12 }, (_, i) => server.url(i))));
      await t.engine.close();
      assert.deepEqual([...server.httpVersions], ['2.0']);
      assert.ok(records.every((r, i) => r.state === 'completed' && r.sha256 === sha256(server.bodyOf(i))));
      assert.equal(server.maxInFlight, 2);
    } finally {
      await server.stop();
    }
  });

  test('limits change while transfers run: raising one lets more in at once', async () => {
    const server = await new CountingServer(40_000, 150).startHttp1();
    try {
      const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 10, maxPerHost: 1 } });
      const ids = add(t, Array.from({ length: 12 }, (_, i) => server.url(i)));
      const all = t.engine.runAll(ids);
      await until(() => server.requests >= 2, 'two requests');
      assert.equal(server.maxInFlight, 1);
      t.engine.setLimits({ maxPerHost: 4 });
      const records = await all;
      await t.engine.close();
      assert.ok(records.every((r) => r.state === 'completed'));
      assert.equal(server.maxInFlight, 4);
    } finally {
      await server.stop();
    }
  });
});

describe('the queue', () => {
  let server: FaultServer;
  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.stop();
  });

  let n = 0;
  const serve = (size = 20_000, plan: Parameters<FaultServer['serve']>[2] = []): string =>
    server.serve(`/q/${++n}/f.bin`, { body: randomBytesOf(size, n), etag: `"${n}"` }, plan);
  const pathOf = (url: string): string => new URL(url).pathname;
  const firstRequestIndex = (url: string): number => server.log.findIndex((r) => r.path === pathOf(url));

  test('an add larger than one group (1,200 links, groups of ADD_GROUP) answers in order, keeps the queue order, and a repeat finds every one', async () => {
    const t = openEngine();
    try {
      const urls = Array.from({ length: 1200 }, (_, i) => `http://127.0.0.1:9/many/${i}.bin`);
      const added = await t.engine.addDownloads(urls.map((url) => ({ url, dir: t.dir })));
      assert.equal(ADD_GROUP < urls.length, true);
      assert.deepEqual(added.map((a) => a.record.url), urls);
      assert.equal(added.filter((a) => a.existing).length, 0);
      assert.equal(new Set(added.map((a) => a.record.id)).size, urls.length);
      const stored = new Map(t.engine.list().map((r) => [r.id, r.seq]));
      const seqs = added.map((a) => stored.get(a.record.id)!);
      assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'the queue keeps the order they were given in');
      const again = await t.engine.addDownloads(urls.map((url) => ({ url, dir: t.dir })));
      assert.deepEqual(again.map((a) => a.record.id), added.map((a) => a.record.id));
      assert.equal(again.every((a) => a.existing), true, 'the same links again continue the same transfers, across groups');
    } finally {
      await t.engine.close();
    }
  });

  test('one at a time: higher priority first, then first come first served; a move to the top jumps the queue', async () => {
    const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 1 } });
    const urls = Array.from({ length: 5 }, () => serve());
    const ids = add(t, urls);
    t.engine.setPriority(ids[3]!, 5);
    t.engine.move(ids[4]!, 'top');
    await t.engine.runAll(ids);
    await t.engine.close();
    const order = urls.map((u, i) => [firstRequestIndex(u), i]).sort((x, y) => x[0]! - y[0]!).map(([, i]) => i);
    assert.deepEqual(order, [3, 4, 0, 1, 2]);
  });

  test('the order is stored: up and down swap neighbours, and survive a restart', async () => {
    const t = openEngine();
    const ids = add(t, Array.from({ length: 4 }, () => serve()));
    t.engine.move(ids[2]!, 'up');
    t.engine.move(ids[0]!, 'down');
    t.engine.move(ids[1]!, 'bottom');
    await t.engine.close();
    const again = openEngine(t.dataDir, t.dir);
    assert.deepEqual(again.engine.unfinished().map((r) => ids.indexOf(r.id)), [2, 0, 3, 1]);
    await again.engine.close();
  });

  test('pause keeps the partial and its checkpoint; start resumes it by range to the exact bytes', async () => {
    const url = serve(1 << 20, [{ stallAfter: 300_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 30_000 });
    const [id] = add(t, [url]);
    const running = t.engine.run(id!);
    await until(() => (t.engine.progress(id!)?.bytes ?? 0) >= 300_000, '300 kB');
    await t.engine.pause([id!]);
    const paused = await running;
    assert.equal(paused.state, 'paused');
    assert.ok(paused.offset >= 300_000);
    assert.deepEqual(listDir(t.dir), ['f.bin.ferrypart']);
    const done = await t.engine.run(id!);
    await t.engine.close();
    assert.equal(done.state, 'completed');
    assert.equal(done.resumes, 1);
    assert.equal(sha256(fs.readFileSync(done.path!)), sha256(server.files.get(pathOf(url))!.body));
  });

  test('cancel deletes the partial; a retry starts again from 0; remove keeps a finished file unless asked', async () => {
    const url = serve(1 << 20, [{ stallAfter: 200_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 30_000 });
    const [id] = add(t, [url]);
    const running = t.engine.run(id!);
    await until(() => (t.engine.progress(id!)?.bytes ?? 0) >= 200_000, '200 kB');
    await t.engine.cancel([id!]);
    assert.equal((await running).state, 'canceled');
    assert.deepEqual(listDir(t.dir), []);
    const retried = await t.engine.run(id!);
    assert.equal(retried.state, 'completed');
    assert.equal(server.requests(pathOf(url)).at(-1)!.range, undefined, 'the retry asked for the whole file');
    await t.engine.remove([id!], { deleteFiles: false });
    assert.deepEqual(listDir(t.dir), ['f.bin']);
    assert.equal(t.engine.store.get(id!), undefined);
    const [other] = add(t, [serve()]);
    const finished = await t.engine.run(other!);
    await t.engine.remove([other!], { deleteFiles: true });
    await t.engine.close();
    assert.ok(!fs.existsSync(finished.path!));
    assert.deepEqual(listDir(t.dir), ['f.bin']);
  });

  test('pause all and resume all', async () => {
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 30_000 }, { limits: { maxActive: 2 } });
    const ids = add(t, [serve(1 << 20, [{ stallAfter: 100_000 }]), serve(), serve(), serve()]);
    t.engine.start(ids);
    await until(() => (t.engine.progress(ids[0]!)?.bytes ?? 0) >= 100_000, 'the first one running');
    await t.engine.pauseAll();
    const states = ids.map((id) => t.engine.store.get(id)!.state);
    assert.ok(states.every((s) => s === 'paused' || s === 'completed'), states.join());
    assert.equal(states[0], 'paused');
    t.engine.resumeAll();
    const records = await Promise.all(ids.map((id) => t.engine.settled(id)));
    await t.engine.close();
    assert.ok(records.every((r) => r.state === 'completed'), records.map((r) => r.state).join());
    assert.equal(records[0]!.resumes, 1);
  });

  test('settledEach: one waiter hears every position once (an id given twice at both), settled ones at once, and fails as Promise.all would', async () => {
    const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 2 } });
    try {
      const [a, b, c] = add(t, [serve(), serve(), serve()]);
      const heard: Array<[number, string, string]> = [];
      t.engine.start([a!, b!, c!]);
      await t.engine.settledEach([a!, b!, a!, c!], (index, record) => heard.push([index, record.id, record.state]));
      assert.deepEqual(
        [...heard].sort(([x], [y]) => x - y),
        [
          [0, a, 'completed'],
          [1, b, 'completed'],
          [2, a, 'completed'],
          [3, c, 'completed'],
        ],
      );
      const again: number[] = [];
      await t.engine.settledEach([c!], (index) => again.push(index));
      assert.deepEqual(again, [0], 'a transfer that settled before is heard from its record');
      await assert.rejects(t.engine.settledEach([a!, 'no-such-id'], () => undefined), /no transfer no-such-id/);
      const [d] = add(t, [serve()]);
      t.engine.start([d!]);
      await assert.rejects(
        t.engine.settledEach([d!], () => {
          throw new Error('the caller failed');
        }),
        /the caller failed/,
      );
      assert.equal((await t.engine.settled(d!)).state, 'completed');
      // What the caller threw stayed with its wait: the queue still runs what comes next.
      const [e] = add(t, [serve()]);
      assert.equal((await t.engine.run(e!)).state, 'completed', 'the scheduler goes on after a caller threw');
    } finally {
      await t.engine.close();
    }
  });

  test('a queued transfer can be paused before it starts, and a paused one is not run by others finishing', async () => {
    const t = openEngine(undefined, undefined, {}, { limits: { maxActive: 1 } });
    const ids = add(t, [serve(), serve(), serve()]);
    t.engine.start(ids);
    await t.engine.pause([ids[2]!]);
    const [first, second] = await Promise.all([t.engine.settled(ids[0]!), t.engine.settled(ids[1]!)]);
    assert.equal(first.state, 'completed');
    assert.equal(second.state, 'completed');
    assert.equal(t.engine.store.get(ids[2]!)!.state, 'paused');
    await t.engine.close();
  });
});

describe('bandwidth limit', () => {
  let server: FaultServer;
  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.stop();
  });

  test('one global limit is shared fairly by concurrent transfers and holds the total rate', async () => {
    const size = 600_000;
    const urls = [1, 2].map((i) => server.serve(`/bw/${i}.bin`, { body: randomBytesOf(size, 50 + i), etag: `"bw${i}"` }));
    const rate = 600_000; // bytes per second for both together
    const t = openEngine(undefined, undefined, {}, { limits: { bandwidth: rate } });
    const ids = add(t, urls);
    const started = Date.now();
    const all = t.engine.runAll(ids);
    await until(() => (t.engine.progress(ids[0]!)?.bytes ?? 0) + (t.engine.progress(ids[1]!)?.bytes ?? 0) >= size, 'half the bytes');
    const [a, b] = ids.map((id) => t.engine.progress(id)!.bytes);
    const records = await all;
    const seconds = (Date.now() - started) / 1000;
    await t.engine.close();
    assert.ok(records.every((r) => r.state === 'completed'));
    // 1.2 MB at 600 kB/s with a quarter second of burst takes at least 1.75 s, however fast the machine.
    assert.ok(seconds >= 1.6, `took ${seconds.toFixed(2)} s`);
    assert.ok(Math.min(a!, b!) / Math.max(a!, b!) > 0.6, `halfway the two transfers held ${a} and ${b} bytes`);
  });

  test('the limit changes while running, and a throttled transfer is slow, not stalled', async () => {
    const body = randomBytesOf(500_000, 60);
    const url = server.serve('/bw/change.bin', { body, etag: '"c"' });
    // 100 kB/s with a 300 ms stall timeout: waiting for the limit must not count as a stall.
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 300 }, { limits: { bandwidth: 100_000 } });
    const [id] = add(t, [url]);
    const running = t.engine.run(id!);
    await new Promise((r) => setTimeout(r, 800));
    const slow = t.engine.progress(id!)!.bytes;
    assert.ok(slow < 250_000, `at 100 kB/s it held ${slow} bytes after 0.8 s`);
    t.engine.setLimits({ bandwidth: null });
    const record = await running;
    const history = t.engine.store.history(id!);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(body));
    assert.ok(!history.some((h) => h.kind === 'retry'), 'no stall was declared');
  });
});

describe('sleep and network hooks', () => {
  let server: FaultServer;
  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.stop();
  });

  test('wake drops dead connections and resumes at once instead of waiting for the stall timeout', async () => {
    const body = randomBytesOf(1 << 20, 70);
    // The first response stops mid-body and keeps its socket open, like a socket that died in sleep.
    const url = server.serve('/hooks/wake.bin', { body, etag: '"w"' }, [{ stallAfter: 300_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 60_000 });
    const [id] = add(t, [url]);
    const running = t.engine.run(id!);
    await until(() => (t.engine.progress(id!)?.bytes ?? 0) >= 300_000, '300 kB');
    const woke = Date.now();
    await t.engine.wake();
    const record = await running;
    const took = Date.now() - woke;
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(body));
    assert.equal(record.resumes, 1);
    assert.ok(took < 30_000, `resumed ${took} ms after wake, not after the 60 s stall timeout`);
  });

  test('suspend and offline checkpoint everything and start nothing until wake and online', async () => {
    const body = randomBytesOf(1 << 20, 71);
    const url = server.serve('/hooks/offline.bin', { body, etag: '"o"' }, [{ stallAfter: 200_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 60_000 });
    const [id] = add(t, [url]);
    const running = t.engine.run(id!);
    await until(() => (t.engine.progress(id!)?.bytes ?? 0) >= 200_000, '200 kB');
    await t.engine.offline();
    assert.equal(t.engine.store.get(id!)!.state, 'queued');
    assert.ok(t.engine.store.get(id!)!.offset >= 200_000, 'the checkpoint holds what arrived');
    await t.engine.suspend();
    const asked = server.requests('/hooks/offline.bin').length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.requests('/hooks/offline.bin').length, asked, 'nothing runs while offline');
    await t.engine.wake();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.requests('/hooks/offline.bin').length, asked, 'still offline after waking');
    await t.engine.online();
    const record = await running;
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.sha256, sha256(body));
    assert.equal(record.resumes, 1);
  });
});
