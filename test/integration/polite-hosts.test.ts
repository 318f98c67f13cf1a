import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Fault, FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine, tempDir } from '../support/harness';

/** Polite hosts (issue 15): a host that asks for fewer connections gets fewer, across runs. */
const SIZE = 2 << 20;
const ONE_PIECE = { piecesPerConnection: 1 };
const busy: Fault = { status: 429, headers: { 'retry-after': '0' } };
/** The first answer streams slowly, so the segments after it are asked while it still runs. */
const slowFirst: Fault = { pauseAfter: { bytes: 64 << 10, ms: 400 } };

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

let n = 0;
const unique = (name: string): string => `/polite/${++n}/${name}`;
const hostOf = (url: string): string => new URL(url).host;

describe('polite hosts', () => {
  test('a 429-happy host is stepped down, the download still completes, and the limit is remembered across runs', async () => {
    const body = randomBytesOf(SIZE, 41);
    const p = unique('busy.bin');
    // The whole-file answer, then three segments refused at once: one step, not three.
    const url = server.serve(p, { body, etag: '"b1"' }, [slowFirst, busy, busy, busy]);
    const dataDir = tempDir('ferry-data-');
    const t = openEngine(dataDir, undefined, ONE_PIECE, { limits: { maxConnections: 4 } });
    const { record: added } = t.engine.addDownload({ url, dir: t.dir });
    const record = await t.engine.run(added.id);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const host = hostOf(url);
    assert.equal(t.engine.hosts.allows(host, 6), 3, 'four in flight when refused: the host allows three');
    assert.match(t.engine.hosts.describe(host, 6)!.message, /^127\.0\.0\.1:\d+ allows 3 connections \(it asked Ferry to slow down/);
    await t.engine.close();

    // Another run on the same data directory: the host still allows three, and a new
    // download there is split three ways, not four.
    const again = openEngine(dataDir, undefined, ONE_PIECE, { limits: { maxConnections: 4 } });
    try {
      assert.equal(again.engine.hosts.allows(host, 6), 3);
      const p2 = unique('next.bin');
      const url2 = server.serve(p2, { body, etag: '"b2"' });
      const { record: second } = again.engine.addDownload({ url: url2, dir: again.dir });
      const done = await again.engine.run(second.id);
      assert.equal(done.state, 'completed');
      assert.equal(again.engine.store.history(second.id).find((h) => h.kind === 'start')?.detail.segments, 3);
    } finally {
      await again.engine.close();
    }
  });

  test('a host that keeps refusing steps down once per burst, to one connection at the least', async () => {
    const body = randomBytesOf(SIZE, 42);
    const p = unique('keeps.bin');
    const url = server.serve(p, { body, etag: '"k1"' }, [slowFirst, busy, busy, busy, busy, busy, busy, busy, busy, busy]);
    const t = openEngine(undefined, undefined, ONE_PIECE, { limits: { maxConnections: 4 } });
    try {
      const { record: added } = t.engine.addDownload({ url, dir: t.dir });
      const record = await t.engine.run(added.id);
      assert.equal(record.state, 'completed');
      assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
      const allows = t.engine.hosts.allows(hostOf(url), 6);
      assert.ok(allows !== null && allows < 3, `stepped down further (allows ${allows})`);
    } finally {
      await t.engine.close();
    }
  });

  test('a host that breaks ranges under parallel requests falls back to one connection, remembered', async () => {
    const body = randomBytesOf(SIZE, 43);
    const p = unique('ranges.bin');
    const wrongRange: Fault = { contentRange: (start, end, total) => `bytes ${start + 1}-${end}/${total}` };
    const url = server.serve(p, { body, etag: '"r1"' }, [slowFirst, wrongRange]);
    const dataDir = tempDir('ferry-data-');
    const t = openEngine(dataDir, undefined, ONE_PIECE, { limits: { maxConnections: 4 } });
    const { record: added } = t.engine.addDownload({ url, dir: t.dir });
    const record = await t.engine.run(added.id);
    const starts = t.engine.store.history(added.id).filter((h) => h.kind === 'start');
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    // The restart after the bad range asks the whole file over one connection.
    assert.equal(starts.at(-1)?.detail.segments, 1);
    const again = openEngine(dataDir);
    try {
      assert.equal(again.engine.hosts.allows(hostOf(url), 6), 1);
      assert.match(again.engine.hosts.describe(hostOf(url), 6)!.message, /allows 1 connection \(it sent wrong ranges/);
    } finally {
      await again.engine.close();
    }
  });

  test('one refused request with nothing else in flight is a rate limit only when the server says so', async () => {
    const body = randomBytesOf(256 << 10, 44);
    const p = unique('single.bin');
    const url = server.serve(p, { body, etag: '"s1"' }, [{ status: 503 }]);
    const t = openEngine();
    try {
      const { record: added } = t.engine.addDownload({ url, dir: t.dir });
      assert.equal((await t.engine.run(added.id)).state, 'completed');
      assert.equal(t.engine.hosts.allows(hostOf(url), 6), null, 'a bare 503 on the only request is an outage, not a refusal');
    } finally {
      await t.engine.close();
    }
  });
});
