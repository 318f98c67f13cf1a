/**
 * Metalink (RFC 5854 and 6249, DESIGN.md section 10): `ferry get` of a .meta4 downloads the
 * file it describes from its mirrors in priority order, failing over on error, with the
 * whole-file hash as the reference (source `metalink`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli } from '../support/cli';
import { tempDir } from '../support/harness';

let a: FaultServer;
let b: FaultServer;
before(async () => {
  a = await new FaultServer().start();
  b = await new FaultServer().start();
});
after(async () => {
  await a.stop();
  await b.stop();
});

function meta4(name: string, hash: string, mirrors: Array<[string, number]>, pieces = ''): string {
  const urls = mirrors.map(([url, priority]) => `    <url priority="${priority}">${url.replace(/&/g, '&amp;')}</url>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="${name}">
    <hash type="sha-256">${hash}</hash>
${pieces}${urls}
  </file>
</metalink>
`;
}

function written(name: string, text: string): string {
  const file = path.join(tempDir('meta4-'), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('ferry get of a Metalink', () => {
  test('a first mirror that is gone: the file comes from the second, verified against the Metalink\'s hash', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(700_000, 90);
    const gone = a.serve('/gone/file.iso', { body }, Array.from({ length: 5 }, () => ({ status: 404 })));
    const good = b.serve('/mirror/file.iso', { body, etag: '"m"' });
    const doc = written('file.iso.meta4', meta4('file.iso', sha256(body), [[good, 2], [gone, 1]]));
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /file\.iso: 2 links from its Metalink, checked against its sha256/);
    const result = resultOf(run);
    assert.deepEqual(result.integrity, { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'metalink' });
    assert.equal(result.path, path.join(dir, 'file.iso'));
    assert.equal(a.requests('/gone/file.iso').length, 1, 'the preferred mirror was asked first, once');
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'file.iso'))), sha256(body));
  });

  test('a Metalink by link; a mirror that serves other bytes is left after the checksum refuses them, and the next one gives the right file', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(500_000, 91);
    const bad = Buffer.from(body);
    bad[250_000] = bad[250_000]! ^ 1;
    const corrupt = a.serve('/corrupt/pkg.tar', { body: bad, etag: '"c"' });
    const good = b.serve('/good/pkg.tar', { body, etag: '"g"' });
    const doc = a.serve('/pkg.tar.meta4', { body: Buffer.from(meta4('pkg.tar', sha256(body), [[corrupt, 1], [good, 2]])) });
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = resultOf(run);
    assert.equal((result.integrity as { status: string }).status, 'verified');
    assert.equal(result.restarts, 1, 'one restart: the refused bytes were not kept');
    assert.equal(b.requests('/good/pkg.tar').length, 1);
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'pkg.tar'))), sha256(body));
  });

  test('a bad piece from one mirror: only that piece is fetched again, from the other, and the file is verified', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const PIECE = 256 << 10;
    const body = randomBytesOf(5 * PIECE + 1000, 95);
    const bad = Buffer.from(body);
    bad[2 * PIECE + 77] = bad[2 * PIECE + 77]! ^ 0x10;
    const hashes = Array.from({ length: 6 }, (_, i) => `      <hash>${sha256(body.subarray(i * PIECE, (i + 1) * PIECE))}</hash>`).join('\n');
    const pieces = `    <pieces length="${PIECE}" type="sha-256">\n${hashes}\n    </pieces>\n`;
    const flawed = a.serve('/flawed/disk.img', { body: bad, etag: '"f"' });
    const clean = b.serve('/clean/disk.img', { body, etag: '"c"' });
    const doc = written('disk.meta4', meta4('disk.img', sha256(body), [[flawed, 1], [clean, 2]], pieces));
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = resultOf(run);
    assert.equal((result.integrity as { status: string }).status, 'verified');
    assert.equal(result.restarts, 0, 'no restart: the file was repaired in place');
    assert.deepEqual(b.requests('/clean/disk.img').map((r) => r.range), [`bytes=${2 * PIECE}-${3 * PIECE - 1}`], 'the other mirror gave only the bad piece');
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'disk.img'))), sha256(body));
  });

  test('a mirror that fails mid-download hands over to the next, which proves the same bytes and continues from them', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(3 << 20, 92);
    const first = a.serve('/dies/big.bin', { body, etag: '"d"' }, [{ cutAfter: (2 << 20) + 200_000 }, ...Array.from({ length: 5 }, () => ({ status: 503 }))]);
    const second = b.serve('/lives/big.bin', { body, etag: '"l"' });
    const doc = written('big.meta4', meta4('big.bin', sha256(body), [[first, 1], [second, 2]]));
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((resultOf(run).integrity as { status: string }).status, 'verified');
    assert.equal(resultOf(run).restarts, 0, 'nothing was downloaded twice from 0');
    const continued = b.requests('/lives/big.bin').filter((r) => /^bytes=[1-9]\d*-$/.test(r.range ?? ''));
    assert.equal(continued.length, 1, `the second mirror continued past 0: ${JSON.stringify(b.requests('/lives/big.bin').map((r) => r.range))}`);
  });

  test('a plain get whose server names mirrors in Link: rel=duplicate headers (RFC 6249) fails over to them', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(3 << 20, 94);
    const mirror = b.serve('/dup/linked.bin', { body, etag: '"dup"' });
    const origin = a.serve('/orig/linked.bin', { body, etag: '"o"', headers: { link: `<${mirror}>; rel=duplicate; pri=1` } }, [{ cutAfter: (2 << 20) + 100_000 }, ...Array.from({ length: 5 }, () => ({ status: 503 }))]);
    const run = await runCli(['get', origin, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(resultOf(run).sha256, sha256(body));
    assert.equal(resultOf(run).url, mirror, 'the download ended on the mirror');
    assert.ok(b.requests('/dup/linked.bin').some((r) => /^bytes=[1-9]\d*-$/.test(r.range ?? '')), 'the mirror continued past 0');
  });

  test('a plain link that answers with application/metalink4+xml downloads the file the Metalink describes', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(400_000, 96);
    const file = b.serve('/real/tool.tar.gz', { body, etag: '"t"' });
    const doc = Buffer.from(meta4('tool.tar.gz', sha256(body), [[file, 1]]));
    const link = a.serve('/download?id=42', { body: doc, headers: { 'content-type': 'application/metalink4+xml' } });
    const run = await runCli(['get', link, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = resultOf(run);
    assert.deepEqual(result.integrity, { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'metalink' });
    assert.equal(result.path, path.join(dir, 'tool.tar.gz'));
    assert.deepEqual(fs.readdirSync(dir), ['tool.tar.gz'], 'the XML itself was not saved');
  });

  test('a Metalink hash no mirror matches exits 3 with nothing under the final name; a broken Metalink is a usage error', async () => {
    const dir = tempDir('meta-dl-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(200_000, 93);
    const only = a.serve('/only/x.bin', { body, etag: '"x"' });
    const doc = written('x.meta4', meta4('x.bin', '0'.repeat(64), [[only, 1]]));
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 3, run.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'x.bin')));
    const broken = written('broken.meta4', '<metalink><file name="x"><url>http://a/x</file></metalink>');
    const bad = await runCli(['get', broken, '--dir', dir, '--data-dir', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not well-formed XML/);
  });
});
