import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { download, interruptAt, listDir, openEngine, tempDir } from '../support/harness';

const SIZE = 1 << 20; // 16 blocks of 64 KiB in tests
const CUT = 300_000; // mid-block, so the tail digest matters too

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

let counter = 0;
const unique = (name: string): string => `/${++counter}/${name}`;

function b64(algorithm: string, data: Buffer): string {
  return createHash(algorithm).update(data).digest('base64');
}

/** Interrupts a download of `file` at CUT (server stalls there), then resumes it with `plan`. */
async function interruptThenResume(file: Parameters<FaultServer['serve']>[1], planAfter: Parameters<FaultServer['serve']>[2], mutate?: (p: string) => void, extra = {}) {
  const p = unique('file.bin');
  const url = server.serve(p, file, [{ stallAfter: CUT }, ...(planAfter ?? [])]);
  const dataDir = tempDir();
  const dir = tempDir();
  const first = openEngine(dataDir, dir);
  const id = await interruptAt(first, url, CUT, extra);
  mutate?.(p);
  const second = openEngine(dataDir, dir);
  const record = await second.engine.run(id);
  const history = second.engine.store.history(id);
  await second.engine.close();
  return { record, history, dir, requests: server.requests(p), events: second.events };
}

describe('downloads survive every failure mode (DESIGN.md section 3)', () => {
  test('a plain download ends exact and unverified with its SHA-256 recorded', async () => {
    const body = randomBytesOf(SIZE, 1);
    const url = server.serve(unique('plain.bin'), { body, etag: '"v1"' });
    const t = openEngine();
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.sha256, sha256(body));
    assert.deepEqual(record.integrity, { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256(body), source: null });
    assert.deepEqual(listDir(t.dir), ['plain.bin']);
  });

  test('a resume sends If-Range with the strong ETag and asks for a 64 KiB overlap', async () => {
    const body = randomBytesOf(SIZE, 2);
    const { record, requests, history } = await interruptThenResume({ body, etag: '"v2"' }, []);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    const resume = requests[1]!;
    assert.equal(resume.ifRange, '"v2"');
    assert.equal(resume.range, `bytes=${CUT - 65536}-`);
    assert.equal(resume.acceptEncoding, 'identity');
    assert.equal(record.resumes, 1);
    assert.equal(record.restarts, 0);
    const entry = history.find((h) => h.kind === 'resume')!;
    assert.equal(entry.detail.overlap, 'ok');
    assert.equal(entry.detail.offset, CUT);
  });

  test('a server that ignores Range (200 with the full body) restarts from that body and ends exact', async () => {
    const body = randomBytesOf(SIZE, 3);
    const { record, requests } = await interruptThenResume({ body, etag: '"v3"' }, [{ ignoreRange: true }]);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(requests.length, 2, 'the 200 body itself is used, no third request');
    assert.equal(record.restarts, 1);
  });

  test('a 206 whose Content-Range starts elsewhere is discarded and the download restarts', async () => {
    const body = randomBytesOf(SIZE, 4);
    const { record, requests } = await interruptThenResume({ body, etag: '"v4"' }, [{ contentRange: (s, e, t) => `bytes ${s + 100}-${e}/${t}` }]);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 1);
    assert.equal(requests[2]!.range, undefined, 'the restart asks for the whole file');
  });

  test('a 206 without Content-Range is discarded and the download restarts', async () => {
    const body = randomBytesOf(SIZE, 5);
    const { record } = await interruptThenResume({ body, etag: '"v5"' }, [{ contentRange: () => null }]);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 1);
  });

  test('a file changed on the server (new ETag) is downloaded again whole: never two versions mixed', async () => {
    const v1 = randomBytesOf(SIZE, 6);
    const v2 = randomBytesOf(SIZE, 7);
    const { record } = await interruptThenResume({ body: v1, etag: '"a"' }, [], (p) => server.files.set(p, { body: v2, etag: '"b"' }));
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(v2));
    assert.equal(record.restarts, 1);
    assert.equal(record.etag, '"b"');
  });

  test('same ETag but new bytes: the overlap check catches it and the download restarts', async () => {
    const v1 = randomBytesOf(SIZE, 8);
    const v2 = randomBytesOf(SIZE, 9);
    const { record, history } = await interruptThenResume({ body: v1, etag: '"same"' }, [], (p) => server.files.set(p, { body: v2, etag: '"same"' }));
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(v2));
    assert.equal(record.restarts, 1);
    assert.equal(history.find((h) => h.kind === 'resume')?.detail.overlap, 'mismatch');
    assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /overlap/);
  });

  test('a weak ETag cannot promise the same bytes: the download starts again from 0', async () => {
    const body = randomBytesOf(SIZE, 10);
    const { record, requests } = await interruptThenResume({ body, etag: 'W/"weak"' }, []);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(requests[1]!.range, undefined);
    assert.equal(record.restarts, 1);
  });

  test('a weak ETag with a known checksum resumes overlap-checked, and the checksum proves the result', async () => {
    const body = randomBytesOf(SIZE, 11);
    const checksum = { algorithm: 'sha256' as const, hex: sha256(body), source: 'user' as const };
    const { record, requests } = await interruptThenResume({ body, etag: 'W/"weak"' }, [], undefined, { checksum });
    assert.equal(record.state, 'completed');
    assert.equal(requests[1]!.range, `bytes=${CUT - 65536}-`);
    assert.equal(requests[1]!.ifRange, undefined, 'a weak validator is never sent as If-Range');
    assert.equal(record.integrity.status, 'verified');
    assert.equal(record.integrity.source, 'user');
  });

  test('no validators at all: the download starts again from 0 and ends exact', async () => {
    const body = randomBytesOf(SIZE, 12);
    const { record, requests } = await interruptThenResume({ body }, []);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(requests[1]!.range, undefined);
  });

  test('a Last-Modified older than the Date by a second or more is strong and is sent as If-Range', async () => {
    const body = randomBytesOf(SIZE, 13);
    const lastModified = new Date(Date.now() - 3600_000).toUTCString();
    const { record, requests } = await interruptThenResume({ body, lastModified }, []);
    assert.equal(record.state, 'completed');
    assert.equal(requests[1]!.ifRange, lastModified);
    assert.equal(record.resumes, 1);
  });

  test('a total length that changed is a new file: restart, exact', async () => {
    const body = randomBytesOf(SIZE, 14);
    const { record } = await interruptThenResume({ body, etag: '"len"' }, [{ contentRange: (s, e, t) => `bytes ${s}-${e}/${t + 5}` }]);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 1);
  });

  test('a 416 to a resume when the partial is not complete means our idea of the file is wrong: restart, exact', async () => {
    const body = randomBytesOf(SIZE, 31);
    const { record, requests, history } = await interruptThenResume({ body, etag: '"r416"' }, [{ status: 416, headers: { 'content-range': `bytes */${SIZE}` } }]);
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 1);
    assert.equal(requests[1]!.status, 416);
    assert.equal(requests[2]!.range, undefined, 'the restart asks for the whole file');
    assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /416/);
  });

  test('a refused connection is retried with backoff, then fails as connection-refused with nothing left behind', async () => {
    const closed = await new FaultServer().start();
    const url = closed.url('/gone.bin');
    await closed.stop(); // the port is now closed: every connect is refused
    const t = openEngine();
    const record = await download(t, url);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    assert.equal(record.state, 'failed');
    assert.equal(record.error?.code, 'connection-refused');
    assert.match(record.error!.message, /refused the connection: the server is down or the port is wrong/);
    assert.equal(history.filter((h) => h.kind === 'retry').length, 4, 'retried before giving up');
    assert.deepEqual(listDir(t.dir), []);
  });

  test('a connection closed early is resumed in place and ends exact', async () => {
    const body = randomBytesOf(SIZE, 15);
    const p = unique('cut.bin');
    const url = server.serve(p, { body, etag: '"cut"' }, [{ cutAfter: 200_000 }]);
    const t = openEngine();
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.resumes, 1);
    assert.match(server.requests(p)[1]!.range!, /^bytes=\d+-$/);
  });

  test('repeated interrupt and resume cycles end exact, each resume overlap-checked', async () => {
    const body = randomBytesOf(SIZE, 16);
    const p = unique('cycles.bin');
    const url = server.serve(p, { body, etag: '"cy"' }, [{ cutAfter: 100_000 }, { cutAfter: 150_000 }, { cutAfter: 90_000 }, { cutAfter: 200_000 }, { cutAfter: 70_000 }]);
    const t = openEngine();
    const record = await download(t, url);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.resumes, 5);
    assert.equal(history.filter((h) => h.kind === 'resume' && h.detail.overlap === 'ok').length, 5);
  });

  test('a server that stops sending but keeps the socket open is caught by the stall watchdog', async () => {
    const body = randomBytesOf(SIZE, 17);
    const p = unique('stall.bin');
    const url = server.serve(p, { body, etag: '"st"' }, [{ stallAfter: 500_000 }]);
    const t = openEngine(undefined, undefined, { stallTimeoutMs: 400 });
    const started = Date.now();
    const record = await download(t, url);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.ok(history.some((h) => h.kind === 'retry' && (h.detail.error as { code: string }).code === 'stalled'));
    // The resume is asked for within the stall timeout plus the backoff (none: bytes had moved),
    // plus the watchdog's tick and a generous margin for a loaded machine.
    const [stalled, resumed] = server.requests(p);
    assert.match(resumed!.range!, /^bytes=\d+-$/);
    const gap = resumed!.at - stalled!.at;
    assert.ok(gap < 400 + 100 + 1500, `resumed ${gap} ms after the stalled request began`);
    assert.ok(Date.now() - started < 10_000);
  });

  test('gzip-encoded responses are decoded, and an interrupted one restarts rather than resumes', async () => {
    const body = Buffer.from(randomBytesOf(400_000, 30).toString('hex')); // compresses to about half
    const p = unique('text.txt');
    const url = server.serve(p, { body, etag: '"gz"' }, [{ gzip: true, cutAfter: 20_000 }, { gzip: true }]);
    const t = openEngine();
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.encoded, true);
    assert.equal(server.requests(p)[1]!.range, undefined, 'encoded bytes are never resumed by range');
    assert.equal(record.restarts, 1);
  });

  test('Content-Length and Transfer-Encoding together: a malformed response never becomes a wrong file', async () => {
    const body = randomBytesOf(SIZE, 18);
    const p = unique('both.bin');
    const url = server.serve(p, { body, etag: '"both"' }, [{ lengthAndChunked: true }, { lengthAndChunked: true }, { lengthAndChunked: true }, { lengthAndChunked: true }, { lengthAndChunked: true }, { lengthAndChunked: true }]);
    const t = openEngine();
    const record = await download(t, url);
    await t.engine.close();
    if (record.state === 'completed') {
      assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    } else {
      assert.equal(record.state, 'failed');
      assert.equal(record.error?.code, 'server-broken');
      assert.match(record.error!.message, /malformed/);
      assert.deepEqual(listDir(t.dir).filter((f) => !f.endsWith('.ferrypart')), []);
    }
  });

  test('right length, wrong bytes, caught by the checksum: restart once, then exact', async () => {
    const body = randomBytesOf(SIZE, 19);
    const p = unique('wrong-once.bin');
    const url = server.serve(p, { body, etag: '"w1"' }, [{ replaceBody: (b) => Buffer.from(b).fill(7, 1000, 1001) }]);
    const t = openEngine();
    const record = await download(t, url, { checksum: { algorithm: 'sha256', hex: sha256(body), source: 'user' } });
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.integrity.status, 'verified');
    assert.equal(record.restarts, 1);
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
  });

  test('a digest mismatch twice fails with the verdict mismatch and nothing under the final name', async () => {
    const body = randomBytesOf(SIZE, 20);
    const p = unique('always-wrong.bin');
    const wrongMd5 = b64('md5', Buffer.from('not the file'));
    const url = server.serve(p, { body, etag: '"w2"', headers: { 'content-md5': wrongMd5 } });
    const t = openEngine();
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'failed');
    assert.equal(record.integrity.status, 'mismatch');
    assert.equal(record.integrity.source, 'content-md5');
    assert.equal(record.integrity.expected, Buffer.from(wrongMd5, 'base64').toString('hex'));
    assert.equal(record.integrity.actual, createHash('md5').update(body).digest('hex'));
    assert.equal(record.error?.code, 'integrity-mismatch');
    assert.deepEqual(listDir(t.dir), [], 'neither the final name nor a partial is left');
  });

  test('server digests verify the download: Repr-Digest, Content-Digest, Digest and Content-MD5', async () => {
    const body = randomBytesOf(SIZE, 21);
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'repr-digest': `sha-256=:${b64('sha256', body)}:` }, 'repr-digest', 'sha256'],
      [{ 'repr-digest': `sha-512=:${b64('sha512', body)}:, sha-256=:${b64('sha256', body)}:` }, 'repr-digest', 'sha512'],
      [{ 'content-digest': `sha-256=:${b64('sha256', body)}:` }, 'content-digest', 'sha256'],
      [{ digest: `SHA-256=${b64('sha256', body)}` }, 'digest', 'sha256'],
      [{ digest: `SHA=${b64('sha1', body)}` }, 'digest', 'sha1'],
      [{ 'content-md5': b64('md5', body) }, 'content-md5', 'md5'],
    ];
    const t = openEngine();
    for (const [headers, source, algorithm] of cases) {
      const p = unique('digest.bin');
      const url = server.serve(p, { body, etag: '"d"', headers });
      const record = await download(t, url);
      assert.equal(record.integrity.status, 'verified', source);
      assert.equal(record.integrity.source, source);
      assert.equal(record.integrity.algorithm, algorithm);
      assert.equal(record.sha256, sha256(body), 'the SHA-256 is recorded whatever the reference');
      assert.equal(server.requests(p)[0]!.range, undefined);
    }
    await t.engine.close();
  });

  test('a Repr-Digest survives a resume: the resumed 206 proves the whole file', async () => {
    const body = randomBytesOf(SIZE, 22);
    const { record } = await interruptThenResume({ body, etag: '"rd"', headers: { 'repr-digest': `sha-256=:${b64('sha256', body)}:` } }, []);
    assert.equal(record.integrity.status, 'verified');
    assert.equal(record.integrity.source, 'repr-digest');
    assert.equal(record.resumes, 1);
  });

  test('an expired signed URL on resume is asked again from the original URL', async () => {
    const body = randomBytesOf(SIZE, 23);
    const signed = unique('signed.bin?sig=abc');
    server.serve(signed, { body, etag: '"sig"' }, [{ stallAfter: CUT }, { status: 403 }]);
    const start = unique('get-signed');
    const url = server.redirect(start, signed);
    const dataDir = tempDir();
    const dir = tempDir();
    const first = openEngine(dataDir, dir);
    const id = await interruptAt(first, url, CUT);
    const second = openEngine(dataDir, dir);
    const record = await second.engine.run(id);
    const history = second.engine.store.history(id);
    await second.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.name, 'signed.bin');
    assert.ok(history.some((h) => h.kind === 'redirect'));
    assert.deepEqual(server.requests(start).length, 2, 'the original URL was asked again');
    assert.deepEqual(record.urlChain, [url, server.url(signed)]);
  });

  test('credentials are not sent across a redirect to another origin', async () => {
    const body = randomBytesOf(4096, 24);
    const other = await new FaultServer().start();
    try {
      other.serve('/x.bin', { body, etag: '"x"' });
      const url = server.redirect(unique('cross'), other.url('/x.bin'));
      const t = openEngine();
      const record = await download(t, url, { headers: [['Authorization', 'Bearer secret']] });
      await t.engine.close();
      assert.equal(record.state, 'completed');
      assert.equal(server.log.at(-1)?.authorization ?? server.log.find((r) => r.path.includes('cross'))?.authorization, 'Bearer secret');
      assert.equal(other.requests('/x.bin')[0]!.authorization, undefined);
    } finally {
      await other.stop();
    }
  });

  test('HTTP errors fail with the status and a hint; nothing is left behind', async () => {
    const t = openEngine();
    const missing = await download(t, server.url(unique('nothing-here.bin')));
    assert.equal(missing.state, 'failed');
    assert.equal(missing.error?.code, 'http-status');
    assert.equal(missing.error?.status, 404);
    assert.match(missing.error!.message, /HTTP 404 .*not on the server/);
    assert.equal(missing.error?.retryable, false);
    assert.deepEqual(listDir(t.dir), []);
    await t.engine.close();
  });

  test('a 503 is retried with backoff and then succeeds', async () => {
    const body = randomBytesOf(100_000, 25);
    const p = unique('busy.bin');
    const url = server.serve(p, { body, etag: '"busy"' }, [{ status: 503 }, { status: 503, headers: { 'retry-after': '0' } }]);
    const t = openEngine();
    const record = await download(t, url);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(history.filter((h) => h.kind === 'retry').length, 2);
  });

  test('a crash while the verified file takes its name is finished at the next run: no second copy, no new request', async () => {
    const body = randomBytesOf(300_000, 32);
    const p = unique('placing.bin');
    const url = server.serve(p, { body, etag: '"pl"' });
    const t = openEngine();
    const done = await download(t, url);
    const finalPath = done.path!;
    const partial = `${finalPath}.ferrypart`;
    // The two states a kill -9 can leave inside place(): linked but not recorded, and not yet linked.
    const states: Array<[string, () => void]> = [
      ['linked, not recorded', () => fs.linkSync(finalPath, partial)],
      ['not yet linked', () => fs.renameSync(finalPath, partial)],
    ];
    for (const [what, arrange] of states) {
      arrange();
      t.engine.store.update(done.id, { state: 'queued', path: null, completedAt: null }, Date.now());
      const asked = server.requests(p).length;
      const again = await t.engine.run(done.id);
      assert.equal(again.state, 'completed', what);
      assert.equal(again.path, finalPath, what);
      assert.equal(server.requests(p).length, asked, `${what}: nothing was downloaded again`);
      assert.deepEqual(listDir(t.dir), ['placing.bin'], what);
      assert.equal(sha256(fs.readFileSync(finalPath)), sha256(body));
    }
    await t.engine.close();
  });

  test('the file name comes from Content-Disposition (filename* first), sanitized, and never overwrites', async () => {
    const body = randomBytesOf(5000, 26);
    const headers = { 'content-disposition': `attachment; filename="fallback.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20..%2F..%2Fevil.txt` };
    const t = openEngine();
    fs.writeFileSync(path.join(t.dir, 'evil.txt'), 'precious');
    const url = server.serve(unique('cd'), { body, etag: '"cd"', headers });
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(path.basename(record.path!), 'evil (1).txt');
    assert.equal(fs.readFileSync(path.join(t.dir, 'evil.txt'), 'utf8'), 'precious');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
  });
});
