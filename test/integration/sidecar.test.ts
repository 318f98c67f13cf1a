import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli, startCli } from '../support/cli';
import { download, listDir, openEngine, tempDir } from '../support/harness';
import { ipcFixture, startServe, until } from '../support/service';

/**
 * Checksum files found beside a download (issue 15, DESIGN.md section 10): the search, its
 * limits (same origin only, once per folder, small answers, large files, a short timeout),
 * the verdict they give, and the person's own --checksum-file and --no-sidecar.
 */

const MIB = 1 << 20;
const BIG = MIB + 4096;

let home: FaultServer;
let other: FaultServer;
before(async () => {
  home = await new FaultServer().start();
  other = await new FaultServer().start();
});
after(async () => {
  await home.stop();
  await other.stop();
});

let counter = 0;
const folder = (): string => `/side-${++counter}`;
const text = (s: string): { body: Buffer } => ({ body: Buffer.from(s) });
const dirs = (): { dir: string; data: string } => ({ dir: tempDir('side-dl-'), data: tempDir('side-data-') });
const integrityOf = (run: Parameters<typeof resultOf>[0]): Record<string, unknown> => resultOf(run).integrity as Record<string, unknown>;

/** Requests for checksum files under `prefix` (anything but the download itself). */
function sidecarRequests(server: FaultServer, prefix: string, file: string): string[] {
  return server.log.filter((r) => r.path.startsWith(prefix) && r.path !== `${prefix}/${file}`).map((r) => r.path);
}

describe('a checksum file beside the download gives the verdict (source sidecar)', () => {
  test('SHA256SUMS in the folder: verified/sidecar, and the details say where it came from and what it proves', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 1);
    const url = home.serve(`${at}/debian-12.5.0-amd64-netinst.iso`, { body, etag: '"d1"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(randomBytesOf(10, 9))}  debian-edu-12.5.0-amd64-netinst.iso\n${sha256(body)}  debian-12.5.0-amd64-netinst.iso\n`));
    const { dir, data } = dirs();
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(integrityOf(run), { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'sidecar' });
    assert.deepEqual(listDir(dir), ['debian-12.5.0-amd64-netinst.iso']);
    assert.equal(home.requests(`${at}/SHA256SUMS`).length, 1);
    assert.deepEqual(home.requests(`${at}/debian-12.5.0-amd64-netinst.iso.sha256`), [], 'the folder\'s list named the file: nothing more was asked');
    const human = dirs();
    const said = await runCli(['get', url, '--dir', human.dir, '--data-dir', human.data]);
    assert.match(said.stdout, /verified: sha256 matches its checksum file \(proof of the transfer, not of who made the file\)/);
  });

  test('<file>.sha256 holding a bare hex (as Go publishes): verified/sidecar', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 2);
    const url = home.serve(`${at}/go1.22.0.linux-amd64.tar.gz`, { body, etag: '"g1"' });
    home.serve(`${at}/go1.22.0.linux-amd64.tar.gz.sha256`, text(sha256(body)));
    const t = openEngine();
    const done = await download(t, url);
    await t.engine.close();
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.integrity, { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'sidecar' });
    assert.equal(done.sidecar?.found?.from, `${url}.sha256`);
  });

  test('SHA512SUMS, or a <file>.md5 where that is all there is: verified with that algorithm, hashed once more at the end', async () => {
    for (const [sidecar, algorithm] of [['SHA512SUMS', 'sha512'], ['weak.iso.md5', 'md5']] as const) {
      const at = folder();
      const body = randomBytesOf(BIG, 16);
      const url = home.serve(`${at}/weak.iso`, { body, etag: '"a1"' });
      const hex = createHash(algorithm).update(body).digest('hex');
      home.serve(`${at}/${sidecar}`, text(`${hex}  weak.iso\n`));
      const t = openEngine();
      const done = await download(t, url);
      await t.engine.close();
      assert.deepEqual(done.integrity, { status: 'verified', algorithm, expected: hex, actual: hex, source: 'sidecar' }, sidecar);
      assert.equal(done.sha256, sha256(body), 'the SHA-256 is recorded too');
    }
  });

  test('a wrong SHA256SUMS is a mismatch: exit 3, nothing under the final name, never a silent pass', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 3);
    const url = home.serve(`${at}/image.iso`, { body, etag: '"w1"' });
    home.serve(`${at}/SHA256SUMS`, text(`${'0'.repeat(64)}  image.iso\n`));
    const { dir, data } = dirs();
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 3, run.stderr);
    const result = resultOf(run);
    assert.equal(result.state, 'failed');
    assert.deepEqual(result.integrity, { status: 'mismatch', algorithm: 'sha256', expected: '0'.repeat(64), actual: sha256(body), source: 'sidecar' });
    assert.equal((result.error as { code: string }).code, 'integrity-mismatch');
    assert.match((result.error as { message: string }).message, /SHA256SUMS/);
    assert.deepEqual(listDir(dir), []);
    // What the message offers: the same get without the checksum file.
    const without = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--no-sidecar']);
    assert.equal(without.code, 0, without.stderr);
    assert.equal(resultOf(without).id, result.id, 'the same transfer, not a second one');
    assert.equal(integrityOf(without).status, 'unverified');
    assert.deepEqual(listDir(dir), ['image.iso']);
  });

  test('the details (service contract) name the checksum file and say it proves the transfer, not the author', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 4);
    const url = home.serve(`${at}/app.tar.xz`, { body, etag: '"s4"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)} *app.tar.xz\n`));
    const fx = await ipcFixture();
    try {
      const added = await fx.client.addDownloads({ urls: [url] });
      assert.ok(added.ok);
      const id = added.value.ids[0]!;
      await until(() => fx.rows().get(id)?.state === 'completed', 'the download to complete');
      const details = await fx.client.details({ id });
      assert.ok(details.ok);
      assert.equal(details.value.summary.integrity.source, 'sidecar');
      assert.equal(details.value.reference?.source, 'sidecar');
      assert.equal(details.value.reference?.from, `${home.url(at)}/SHA256SUMS`);
      assert.match(details.value.reference!.meaning, /transfer/);
      assert.match(details.value.reference!.meaning, /not who made/);
      assert.ok(details.value.history.some((h) => h.kind === 'reference' && h.detail.from === `${home.url(at)}/SHA256SUMS`));
    } finally {
      await fx.close();
    }
  });
});

describe('where Ferry looks, and where it never does', () => {
  test('a checksum file on another origin is ignored and never asked for, and credentials stay with their origin', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 5);
    const url = home.serve(`${at}/file.iso`, { body, etag: '"o1"' });
    // The folder's list redirects to another origin, whose (wrong) list would fail the download.
    other.serve(`${at}/SHA256SUMS`, text(`${'0'.repeat(64)}  file.iso\n`));
    other.serve(`${at}/file.iso.sha256`, text('0'.repeat(64)));
    home.redirect(`${at}/SHA256SUMS`, `${other.url(at)}/SHA256SUMS`);
    home.redirect(`${at}/file.iso.sha256`, `${other.url(at)}/file.iso.sha256`);
    const { dir, data } = dirs();
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--header', 'Authorization: Bearer s3cret']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(integrityOf(run).status, 'unverified');
    assert.deepEqual(other.log.filter((r) => r.path.startsWith(at)), [], 'nothing was asked of the other origin');
    const asked = home.requests(`${at}/SHA256SUMS`);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.authorization, 'Bearer s3cret', 'a same-origin checksum file may carry the download\'s credentials');
  });

  test('a download redirected to another origin: no checksum file is asked of that origin', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 6);
    const target = other.serve(`${at}/file.iso`, { body, etag: '"o2"' });
    other.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  file.iso\n`));
    const url = home.redirect(`${at}/download`, target);
    const t = openEngine();
    const done = await download(t, url, { headers: [['Authorization', 'Bearer s3cret']] });
    await t.engine.close();
    assert.equal(done.state, 'completed');
    assert.equal(done.integrity.status, 'unverified');
    assert.deepEqual(sidecarRequests(other, at, 'file.iso'), []);
  });

  test('a download redirected within its origin is looked up where the bytes are, by their name', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 7);
    const target = home.serve(`${at}/files/app-1.2.tar.gz`, { body, etag: '"r1"' });
    home.serve(`${at}/files/SHA256SUMS`, text(`${sha256(body)}  app-1.2.tar.gz\n`));
    const url = home.redirect(`${at}/latest`, target);
    const t = openEngine();
    const done = await download(t, url);
    await t.engine.close();
    assert.equal(done.integrity.source, 'sidecar');
    assert.equal(done.integrity.status, 'verified');
  });

  test('100 files from one folder: one SHA256SUMS request in all', { timeout: 120_000 }, async () => {
    const at = folder();
    const bodies = Array.from({ length: 100 }, (_, i) => randomBytesOf(MIB, 100 + i));
    const urls = bodies.map((body, i) => home.serve(`${at}/part-${i}.bin`, { body, etag: `"m${i}"` }));
    home.serve(`${at}/SHA256SUMS`, text(bodies.map((b, i) => `${sha256(b)}  part-${i}.bin\n`).join('')));
    const t = openEngine();
    const added = await t.engine.addDownloads(urls.map((url) => ({ url, dir: t.dir })));
    const done = await t.engine.runAll(added.map((a) => a.record.id));
    await t.engine.close();
    assert.ok(done.every((r) => r.state === 'completed' && r.integrity.status === 'verified' && r.integrity.source === 'sidecar'));
    assert.equal(home.requests(`${at}/SHA256SUMS`).length, 1);
    for (const name of ['SHA512SUMS', 'sha256sums.txt', 'SHASUMS256.txt', 'CHECKSUMS']) assert.ok(home.requests(`${at}/${name}`).length <= 1, name);
    assert.equal(home.log.filter((r) => r.path.startsWith(at) && /\.(sha256|sha512|md5)$/.test(r.path)).length, 0);
  });

  test('a file under 1 MiB is not looked up; --checksum-file (a URL or a local path) names one for it', async () => {
    const at = folder();
    const body = randomBytesOf(500_000, 8);
    const url = home.serve(`${at}/small.bin`, { body, etag: '"u1"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  small.bin\n`));
    const plain = dirs();
    const run = await runCli(['get', url, '--dir', plain.dir, '--data-dir', plain.data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(integrityOf(run).status, 'unverified');
    assert.deepEqual(sidecarRequests(home, at, 'small.bin'), []);

    const named = dirs();
    const byUrl = await runCli(['get', url, '--dir', named.dir, '--data-dir', named.data, '--json', '--checksum-file', `${home.url(at)}/SHA256SUMS`]);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.deepEqual(integrityOf(byUrl), { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'sidecar' });

    const local = path.join(tempDir(), 'small.bin.sha256');
    fs.writeFileSync(local, `${sha256(body)}  small.bin\n`);
    const byPath = dirs();
    const fromDisk = await runCli(['get', url, '--dir', byPath.dir, '--data-dir', byPath.data, '--json', '--checksum-file', local]);
    assert.equal(fromDisk.code, 0, fromDisk.stderr);
    assert.equal(integrityOf(fromDisk).source, 'sidecar');
    assert.equal(integrityOf(fromDisk).status, 'verified');
  });

  test('--checksum-file that does not describe the file fails it (exit 1) and keeps the bytes for a corrected rerun', async () => {
    const at = folder();
    const body = randomBytesOf(300_000, 17);
    const url = home.serve(`${at}/thing.bin`, { body, etag: '"t1"' });
    const local = path.join(tempDir(), 'SHA256SUMS');
    fs.writeFileSync(local, `${'1'.repeat(64)}  one.bin\n${'2'.repeat(64)}  two.bin\n`);
    const { dir, data } = dirs();
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--checksum-file', local]);
    assert.equal(run.code, 1, run.stderr);
    assert.match((resultOf(run).error as { message: string }).message, /no line for thing\.bin/);
    assert.deepEqual(listDir(dir), ['thing.bin.ferrypart']);
    fs.writeFileSync(local, `${sha256(body)}  thing.bin\n`);
    const again = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--checksum-file', local]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(integrityOf(again).status, 'verified');
    assert.equal(home.requests(`${at}/thing.bin`).length, 1, 'the bytes already held were not fetched again');
  });

  test('handed to a running Ferry (ferry serve), --checksum-file and --no-sidecar go with the downloads', { timeout: 60_000 }, async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 18);
    const url = home.serve(`${at}/door.iso`, { body, etag: '"dr"' });
    home.serve(`${at}/SHA256SUMS`, text(`${'0'.repeat(64)}  door.iso\n`));
    const local = path.join(tempDir(), 'door.iso.sha256');
    fs.writeFileSync(local, sha256(body));
    const { dir, data } = dirs();
    const serve = await startServe(data);
    try {
      const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--checksum-file', local, '--no-sidecar']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /handing this over/);
      assert.deepEqual(integrityOf(run), { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'sidecar' });
      assert.deepEqual(sidecarRequests(home, at, 'door.iso'), [], 'the wrong list in the folder was never asked for');
    } finally {
      await serve.stop();
    }
  });

  test('usage: --checksum-file with --checksum, or a local file that is not there, exits 2', async () => {
    const { dir, data } = dirs();
    const both = await runCli(['get', 'http://127.0.0.1:9/x', '--dir', dir, '--data-dir', data, '--checksum', `sha256:${'a'.repeat(64)}`, '--checksum-file', '/nope']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--checksum-file/);
    const missing = await runCli(['get', 'http://127.0.0.1:9/x', '--dir', dir, '--data-dir', data, '--checksum-file', path.join(dir, 'nope.sha256')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the checksum file .*nope\.sha256/);
  });

  test('a checksum file over 1 MiB is ignored, whether it says so (Content-Length) or not (chunked)', async () => {
    for (const chunked of [false, true]) {
      const at = folder();
      const body = randomBytesOf(BIG, 9);
      const url = home.serve(`${at}/big.iso`, { body, etag: '"b1"' });
      const huge = `${sha256(body)}  big.iso\n${'#'.repeat(MIB)}\n`;
      home.serve(`${at}/SHA256SUMS`, text(huge), chunked ? [{ chunked: true }] : []);
      const t = openEngine();
      const done = await download(t, url);
      await t.engine.close();
      assert.equal(done.state, 'completed');
      assert.equal(done.integrity.status, 'unverified', chunked ? 'chunked' : 'with a length');
      assert.equal(home.requests(`${at}/SHA256SUMS`).length, 1);
    }
  });

  test('--no-sidecar asks for nothing', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 10);
    const url = home.serve(`${at}/quiet.iso`, { body, etag: '"q1"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  quiet.iso\n`));
    const { dir, data } = dirs();
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--no-sidecar']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(integrityOf(run).status, 'unverified');
    assert.deepEqual(sidecarRequests(home, at, 'quiet.iso'), []);
  });

  test('the window\'s setting (sidecarLookup off) asks for nothing either', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 11);
    const url = home.serve(`${at}/setting.iso`, { body, etag: '"q2"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  setting.iso\n`));
    const fx = await ipcFixture();
    try {
      const set = await fx.client.setSettings({ sidecarLookup: false });
      assert.ok(set.ok);
      assert.equal(set.value.sidecarLookup, false);
      const added = await fx.client.addDownloads({ urls: [url] });
      assert.ok(added.ok);
      const id = added.value.ids[0]!;
      await until(() => fx.rows().get(id)?.state === 'completed', 'the download to complete');
      assert.equal(fx.rows().get(id)?.integrity.status, 'unverified');
      assert.deepEqual(sidecarRequests(home, at, 'setting.iso'), []);
    } finally {
      await fx.close();
    }
  });

  test('the service contract takes checksumFile and sidecar: false', async () => {
    const at = folder();
    const body = randomBytesOf(200_000, 12);
    const url = home.serve(`${at}/named.bin`, { body, etag: '"n1"' });
    home.serve(`${at}/named.bin.sha256`, text(sha256(body)));
    const fx = await ipcFixture();
    try {
      const added = await fx.client.addDownloads({ urls: [url], checksumFile: `${url}.sha256`, sidecar: false });
      assert.ok(added.ok);
      const id = added.value.ids[0]!;
      await until(() => fx.rows().get(id)?.state === 'completed', 'the download to complete');
      assert.equal(fx.rows().get(id)?.integrity.source, 'sidecar');
      const refused = await fx.client.addDownloads({ urls: [url], checksumFile: `${url}.sha256`, checksum: `sha256:${sha256(body)}` });
      assert.ok(!refused.ok);
      assert.equal(refused.error.field, 'checksumFile');
    } finally {
      await fx.close();
    }
  });
});

describe('the search never delays or breaks a download', () => {
  test('a sidecar server that stalls holds the download no longer than the short sidecar timeout', { timeout: 30_000 }, async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 13);
    const url = home.serve(`${at}/stalled.iso`, { body, etag: '"st"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  stalled.iso\n`), [{ stallAfter: 10 }]);
    home.serve(`${at}/stalled.iso.sha256`, text(sha256(body)), [{ claimLength: 64 }]);
    const t = openEngine(undefined, undefined, { sidecarTimeoutMs: 500 });
    const started = Date.now();
    const done = await download(t, url);
    const took = Date.now() - started;
    await t.engine.close();
    assert.equal(done.state, 'completed');
    assert.equal(done.integrity.status, 'unverified');
    assert.ok(took < 4_000, `the download ended ${took} ms after it started`);
    assert.ok(Date.now() - started < 6_000, 'closing the engine did not wait on the stalled server');
  });

  test('one request at a time to the host (--max-per-host 1): the lookup waits for the body\'s slot without timing out', { timeout: 60_000 }, async () => {
    const at = folder();
    const body = randomBytesOf(2 * MIB, 21);
    // The body holds the host's one slot for longer than a lookup may take once on the network.
    const url = home.serve(`${at}/one.iso`, { body, etag: '"h1"' }, [{ pauseAfter: { bytes: MIB, ms: 2500 } }]);
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  one.iso\n`));
    const t = openEngine(undefined, undefined, { sidecarTimeoutMs: 400, stallTimeoutMs: 10_000 }, { limits: { maxPerHost: 1 } });
    const done = await download(t, url);
    await t.engine.close();
    assert.deepEqual([done.state, done.integrity.status, done.integrity.source], ['completed', 'verified', 'sidecar']);
    assert.ok(home.requests(`${at}/SHA256SUMS`)[0]!.at >= home.requests(`${at}/one.iso`)[0]!.at + 2500, 'asked once the body let go of the slot');
  });

  test('a segmented download looks once its segments are done: no connection taken from them, still verified', async () => {
    const at = folder();
    const body = randomBytesOf(2 * MIB, 24);
    const url = home.serve(`${at}/split.iso`, { body, etag: '"sp"' });
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  split.iso\n`));
    const t = openEngine(undefined, undefined, {}, { limits: { maxConnections: 4 } });
    const done = await download(t, url);
    await t.engine.close();
    assert.deepEqual([done.state, done.integrity.status, done.integrity.source], ['completed', 'verified', 'sidecar']);
    const parts = home.requests(`${at}/split.iso`);
    assert.ok(parts.length >= 3, `split into segments (${parts.length} requests)`);
    const lastPart = Math.max(...parts.map((r) => r.at));
    assert.ok(home.requests(`${at}/SHA256SUMS`)[0]!.at >= lastPart, 'asked after the last segment started');
  });

  test('a checksum file that arrives after the verdict stopped waiting changes nothing on record', { timeout: 30_000 }, async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 25);
    const url = home.serve(`${at}/late.iso`, { body, etag: '"lt"' });
    // Each answer is slow but never stalled: the folder's list (which does not name the file), then the file beside it.
    home.serve(`${at}/SHA256SUMS`, text(`${'1'.repeat(64)}  other.iso\n`), [{ pauseAfter: { bytes: 10, ms: 400 } }]);
    home.serve(`${at}/late.iso.sha256`, text(sha256(body)), [{ pauseAfter: { bytes: 10, ms: 400 } }]);
    const t = openEngine(undefined, undefined, { sidecarTimeoutMs: 500 });
    const done = await download(t, url);
    assert.equal(done.integrity.status, 'unverified');
    await until(() => home.requests(`${at}/late.iso.sha256`).some((r) => r.bytesSent === 64), 'the late answer');
    await new Promise((r) => setTimeout(r, 200));
    const stored = t.engine.store.get(done.id)!;
    await t.engine.close();
    assert.equal(stored.integrity.status, 'unverified');
    assert.equal(stored.sidecar?.found ?? null, null, 'what the verdict did not use is not on record as its reference');
  });

  test('missing checksum files (404s everywhere) change nothing', async () => {
    const at = folder();
    const body = randomBytesOf(BIG, 14);
    const url = home.serve(`${at}/plain.iso`, { body, etag: '"p1"' });
    const t = openEngine();
    const done = await download(t, url);
    await t.engine.close();
    assert.equal(done.state, 'completed');
    assert.equal(done.integrity.status, 'unverified');
    assert.equal(done.sha256, sha256(body));
    assert.equal(sidecarRequests(home, at, 'plain.iso').length, 8, 'five lists in the folder, three files beside it');
    assert.equal(done.sidecar?.none, true, 'the search is on record as done: a resume does not ask again');
  });

  test('the same get run again after an interruption keeps its sidecar reference (not asked for again)', { timeout: 60_000 }, async () => {
    const at = folder();
    const body = randomBytesOf(2 * MIB, 15);
    const url = home.serve(`${at}/resumed.iso`, { body, etag: '"rs"' }, [{ stallAfter: 600_000 }]);
    home.serve(`${at}/SHA256SUMS`, text(`${sha256(body)}  resumed.iso\n`));
    const { dir, data } = dirs();
    const args = ['get', url, '--dir', dir, '--data-dir', data, '--json'];
    const first = startCli(args);
    await until(() => home.requests(`${at}/SHA256SUMS`).some((r) => r.status === 200) && home.requests(`${at}/resumed.iso`).length > 0, 'the download and its lookup to start');
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    const result = resultOf(again);
    assert.equal(result.resumes, 1);
    assert.deepEqual(result.integrity, { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'sidecar' });
    assert.equal(home.requests(`${at}/SHA256SUMS`).length, 1, 'the reference was on record: not asked for again');
  });
});
