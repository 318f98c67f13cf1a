import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { CLI, killRepeatedly, resultOf, runCli, startCli } from '../support/cli';
import { formatBytes } from '../../electron/common/format';
import { selfSignedCertificate } from '../support/counting-server';
import { tempDir, unwritableDir } from '../support/harness';
import { NGINX_BINARY, type Nginx, startNginx } from '../support/nginx';

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

const RESULT_KEYS = ['bytes', 'direction', 'id', 'integrity', 'path', 'restarts', 'resumes', 'sha256', 'state', 'type', 'url'];

/** Bytes in the partial of `name` in `dir` so far (0 before it exists). */
function partialSize(dir: string, name: string): number {
  try {
    return fs.statSync(path.join(dir, `${name}.ferrypart`)).size;
  } catch {
    return 0;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function dirs() {
  return { dir: tempDir('cli-dl-'), data: tempDir('cli-data-') };
}

describe('ferry get: the CLI contract (DESIGN.md section 7)', () => {
  const hasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  test('a start leaves its compiled modules in Node\'s compile cache (the temporary folder) for the next one (issue 13)', { skip: hasCompileCache ? false : `Node ${process.version} has no compile cache (22.1 and later do; CI runs 22)` }, async () => {
    const tmp = tempDir('compile-cache-');
    const run = await runCli(['--version'], { TMPDIR: tmp });
    assert.equal(run.code, 0, run.stderr);
    const cache = path.join(tmp, 'node-compile-cache');
    const files = fs.readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(files.length > 10, `the CLI's modules are cached (${files.length} files)`);
  });

  test('usage errors exit 2, name the problem, and start nothing', async () => {
    const { dir, data } = dirs();
    const cases: Array<[string[], RegExp]> = [
      [['get'], /needs at least one URL/],
      [['get', 'not a url'], /is not a URL/],
      [['get', 'ftp://example.com/x'], /uses ftp; Ferry downloads http and https URLs only/],
      [['get', 'http://a/x', '--checksum', 'sha256:1234'], /64 hexadecimal characters/],
      [['get', 'http://a/x', 'http://a/y', '--name', 'n'], /--name goes with a single URL/],
      [['get', 'http://a/x', '--max-active', '0'], /--max-active must be a whole number/],
      [['get', 'http://a/x', '--header', 'Range: bytes=1-'], /managed by Ferry/],
      [['get', 'http://a/x', '--bogus'], /unknown option --bogus \(ferry get --help lists them\)/],
      [['get', 'http://a/x', '--dri', '/tmp'], /unknown option --dri; did you mean --dir\?/],
      [['get', 'http://a/x', '--dir'], /--dir needs a value/],
      [['gte', 'http://a/x'], /did you mean ferry get\?/],
      [[], /^Usage:/],
      [['get', 'http://a/x', '--dir', unwritableDir()], /cannot write to the folder/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['list', '--data-dir', unwritableDir('ferry-no-data-dir')], /cannot use the data directory/],
    ];
    for (const [args, message] of cases) {
      const extra = args[0] === 'get' ? ['--data-dir', data, ...(args.includes('--dir') ? [] : ['--dir', dir])] : [];
      const run = await runCli([...args, ...extra]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('--json prints one result line per transfer, exactly the contract\'s fields; exit 0', async () => {
    const { dir, data } = dirs();
    const body = randomBytesOf(300_000, 1);
    const url = server.serve('/cli/ok.bin', { body, etag: '"ok"' });
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = resultOf(run);
    assert.deepEqual(Object.keys(result).sort(), RESULT_KEYS);
    assert.equal(result.state, 'completed');
    assert.equal(result.direction, 'download');
    assert.equal(result.url, url);
    assert.equal(result.path, path.join(dir, 'ok.bin'));
    assert.equal(result.bytes, body.length);
    assert.equal(result.sha256, sha256(body));
    assert.deepEqual(result.integrity, { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256(body), source: null });
    for (const line of run.stdout.trim().split('\n')) JSON.parse(line); // every stdout line is JSON
  });

  test('--json: a result line goes out as soon as it and every one before it in the command ended, in the command\'s order (issue 13)', async () => {
    const { dir, data } = dirs();
    const bodies = [0, 1, 2].map((i) => randomBytesOf(30_000 + i, 120 + i));
    // The last one's server pauses mid-body: the first two end long before it.
    const urls = bodies.map((body, i) => server.serve(`/cli/stream-${i}.bin`, { body }, i === 2 ? [{ pauseAfter: { bytes: 5_000, ms: 2_500 } }] : []));
    const list = path.join(tempDir('cli-list-'), 'links.txt');
    fs.writeFileSync(list, urls.join('\n'));
    const { child, done } = startCli(['get', '-i', list, '--dir', dir, '--data-dir', data, '--json', '--max-active', '3']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const results = (): string[] => out.split('\n').filter((l) => l.includes('"type":"result"')).map((l) => (JSON.parse(l) as { url: string }).url);
    await until(() => results().length >= 2 || child.exitCode !== null, 'two result lines');
    assert.deepEqual(results(), [urls[0], urls[1]], 'the first two are said while the third is still held by its server');
    assert.equal(child.exitCode, null);
    assert.ok(!fs.existsSync(path.join(dir, 'stream-2.bin')), 'the third has not ended yet');
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(results(), urls, 'then the third, in the command\'s order');

    // The first one held: nothing is said before it ends, and then all three in order.
    const held = bodies.map((body, i) => server.serve(`/cli/held-${i}.bin`, { body }, i === 0 ? [{ pauseAfter: { bytes: 5_000, ms: 1_500 } }] : []));
    fs.writeFileSync(list, held.join('\n'));
    const heldDir = tempDir('cli-dl-');
    const second = startCli(['get', '-i', list, '--dir', heldDir, '--data-dir', data, '--json', '--max-active', '3']);
    out = '';
    second.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => fs.existsSync(path.join(heldDir, 'held-1.bin')) && fs.existsSync(path.join(heldDir, 'held-2.bin')), 'the two after the first placed');
    await new Promise((r) => setTimeout(r, 300)); // time for their lines, were they said out of order
    assert.equal(fs.existsSync(path.join(heldDir, 'held-0.bin')), false, 'the first is still held by its server');
    assert.deepEqual(results(), [], 'no result is said before the first one\'s');
    const afterSecond = await second.done;
    assert.equal(afterSecond.code, 0, afterSecond.stderr);
    assert.deepEqual(results(), held);
  });

  test('--input-file reads one URL a line (comments and blank lines ignored; - is standard input); a bad line is named by its number', async () => {
    const { dir, data } = dirs();
    const bodies = [0, 1, 2].map((i) => randomBytesOf(20_000 + i, 90 + i));
    const urls = bodies.map((body, i) => server.serve(`/cli/list-${i}.bin`, { body }));
    const list = path.join(tempDir('cli-list-'), 'links.txt');
    fs.writeFileSync(list, `# three links\n${urls[0]}\n\n   ${urls[1]}  \r\n# done\n`);
    const run = await runCli(['get', '-i', list, urls[2]!, '--dir', dir, '--data-dir', data]);
    assert.equal(run.code, 0, run.stderr);
    // A list is a batch: one summary line, not a line per file.
    assert.equal(run.stdout, `Downloaded 3 of 3 files (${formatBytes(bodies.reduce((n, b) => n + b.length, 0))}); no checksum was given, so each one's SHA-256 is recorded.\n`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['list-0.bin', 'list-1.bin', 'list-2.bin']);

    const stdin = spawn(process.execPath, [CLI, 'get', '--input-file', '-', '--dir', tempDir('cli-dl-'), '--data-dir', data, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    stdin.stdout.on('data', (d: Buffer) => (out += d.toString()));
    stdin.stdin.end(`${urls[0]}\n${urls[1]}\n`);
    assert.equal(await new Promise((r) => stdin.once('close', r)), 0);
    assert.deepEqual(out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; sha256: string }).filter((e) => e.type === 'result').map((e) => e.sha256).sort(), [sha256(bodies[0]!), sha256(bodies[1]!)].sort());

    fs.writeFileSync(list, `${urls[0]}\nftp://example.com/x\n`);
    const bad = await runCli(['get', '--input-file', list, '--dir', dir, '--data-dir', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /links\.txt, line 2: "ftp:\/\/example\.com\/x" uses ftp; Ferry downloads http and https URLs only/);
    fs.writeFileSync(list, '# nothing here\n\n');
    const empty = await runCli(['get', '--input-file', list, '--dir', dir, '--data-dir', data]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /has no URL in it/);
    const missing = await runCli(['get', '--input-file', path.join(dir, 'nope.txt'), '--dir', dir, '--data-dir', data]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the input file .*nope\.txt \(ENOENT\)/);
  });

  test('--checksum that matches is verified; a wrong one exits 3 and leaves no file', async () => {
    const { dir, data } = dirs();
    const body = randomBytesOf(200_000, 2);
    const url = server.serve('/cli/sum.bin', { body, etag: '"s"' });
    const good = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--checksum', `sha256:${sha256(body)}`]);
    assert.equal(good.code, 0);
    assert.deepEqual(resultOf(good).integrity, { status: 'verified', algorithm: 'sha256', expected: sha256(body), actual: sha256(body), source: 'user' });
    const dir2 = tempDir();
    const bad = await runCli(['get', url, '--dir', dir2, '--data-dir', data, '--json', '--checksum', `sha256:${'0'.repeat(64)}`]);
    assert.equal(bad.code, 3);
    const result = resultOf(bad);
    assert.equal(result.state, 'failed');
    assert.equal((result.integrity as { status: string }).status, 'mismatch');
    assert.equal((result.error as { code: string }).code, 'integrity-mismatch');
    assert.deepEqual(fs.readdirSync(dir2), []);
  });

  test('server and network failures exit 1 with a message that says what to do', async () => {
    const { dir, data } = dirs();
    const missing = await runCli(['get', server.url('/cli/missing'), '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(missing.code, 1);
    assert.match(String((resultOf(missing).error as { message: string }).message), /HTTP 404 .* check the URL/);
    const human = await runCli(['get', server.url('/cli/missing'), '--dir', dir, '--data-dir', data]);
    assert.match(human.stdout, /Failed .*HTTP 404/);
    const dns = await runCli(['get', 'http://no-such-host.invalid/x', '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(dns.code, 1);
    assert.equal((resultOf(dns).error as { code: string }).code, 'dns');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a file larger than the free space is refused before a byte is written', async () => {
    const { dir, data } = dirs();
    const url = server.serve('/cli/huge.bin', { body: Buffer.alloc(10), etag: '"h"' }, [{ claimLength: 2 ** 52 }]);
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 1);
    const error = resultOf(run).error as { code: string; message: string };
    assert.equal(error.code, 'disk-full');
    assert.match(error.message, /^The file needs 4.00 PiB but the disk holding .* has [\d.]+ (B|KiB|MiB|GiB|TiB) free\. Free some space or choose another --dir\.$/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a disk that fills up mid-download fails clearly with nothing under the final name', async (t) => {
    const mountPoint = tempDir('cli-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a 1 MiB tmpfs here (needs root); the free-space preflight test above still runs');
      return;
    }
    try {
      const { data } = dirs();
      const url = server.serve('/cli/fill.bin', { body: randomBytesOf(3 << 20, 3), etag: '"f"' }, [{ chunked: true }]);
      const run = await runCli(['get', url, '--dir', mountPoint, '--data-dir', data, '--json']);
      assert.equal(run.code, 1);
      const error = resultOf(run).error as { code: string; message: string };
      assert.equal(error.code, 'disk-full');
      assert.match(error.message, /is full\. Free some space/);
      assert.ok(!fs.existsSync(path.join(mountPoint, 'fill.bin')), 'nothing under the final name');
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  test('a certificate Ferry cannot trust fails as tls; trusted through NODE_EXTRA_CA_CERTS it works', async (t) => {
    let certificate: { key: Buffer; cert: Buffer };
    try {
      certificate = selfSignedCertificate();
    } catch {
      t.skip('openssl is not installed');
      return;
    }
    const cert = path.join(tempDir('cli-tls-'), 'cert.pem');
    fs.writeFileSync(cert, certificate.cert);
    const body = randomBytesOf(50_000, 4);
    const tls = https.createServer(certificate, (_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length), etag: '"tls"' });
      res.end(body);
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/secure.bin`;
    try {
      const { dir, data } = dirs();
      const refused = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
      assert.equal(refused.code, 1);
      const error = resultOf(refused).error as { code: string; message: string };
      assert.equal(error.code, 'tls');
      assert.match(error.message, /certificate is not trusted/);
      const trusted = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json'], { NODE_EXTRA_CA_CERTS: cert });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(resultOf(trusted).sha256, sha256(body));
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });

  test('a data directory held by another Ferry exits 4 and names the holder', async () => {
    const { dir, data } = dirs();
    const url = server.serve('/cli/slow.bin', { body: randomBytesOf(100_000, 5), etag: '"x"' }, [{ stallAfter: 10 }]);
    const holder = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--stall-timeout', '30']);
    await new Promise((r) => setTimeout(r, 700));
    const second = await runCli(['list', '--data-dir', data]);
    assert.equal(second.code, 4);
    assert.match(second.stderr, new RegExp(`pid ${holder.child.pid}.*ferry get`));
    holder.child.kill('SIGTERM');
    const first = await holder.done;
    assert.equal(first.code, 143, 'SIGTERM checkpoints and exits 143');
  });

  test('Ctrl-C saves progress (exit 130); the same get continues the same transfer, then list shows it', async () => {
    const { dir, data } = dirs();
    const body = randomBytesOf(1 << 20, 6);
    const url = server.serve('/cli/interrupt.bin', { body, etag: '"i"' }, [{ stallAfter: 400_000 }]);
    const first = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    // Ctrl-C once the bytes flow (a loaded machine may take a while to start), then at the stall.
    await until(() => partialSize(dir, 'interrupt.bin') > 0, 'the download to start');
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const stop = stopped.events.find((e) => e.type === 'stopped')!;
    assert.equal(stop.bytes, 400_000);
    const again = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const result = resultOf(again);
    assert.equal(result.id, stop.id, 'the same transfer continued, no duplicate');
    assert.equal(result.resumes, 1);
    assert.equal(result.sha256, sha256(body));
    assert.equal(server.requests('/cli/interrupt.bin')[1]!.range, `bytes=${400_000 - 65536}-`);
    assert.deepEqual(fs.readdirSync(dir), ['interrupt.bin']);
    const list = await runCli(['list', '--data-dir', data, '--json']);
    assert.equal(list.code, 0);
    assert.deepEqual(list.events.map((e) => [e.id, e.state]), [[stop.id, 'completed']]);
  });

  test('ferry resume runs every unfinished transfer to its end', async () => {
    const { dir, data } = dirs();
    const a = randomBytesOf(500_000, 7);
    const b = randomBytesOf(600_000, 8);
    const urlA = server.serve('/cli/ra.bin', { body: a, etag: '"a"' }, [{ stallAfter: 100_000 }]);
    const urlB = server.serve('/cli/rb.bin', { body: b, etag: '"b"' }, [{ stallAfter: 200_000 }]);
    const first = startCli(['get', urlA, urlB, '--dir', dir, '--data-dir', data, '--json']);
    await until(() => partialSize(dir, 'ra.bin') > 0 && partialSize(dir, 'rb.bin') > 0, 'both downloads to start');
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGINT');
    assert.equal((await first.done).code, 130);
    const resumed = await runCli(['resume', '--data-dir', data, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const results = resumed.events.filter((e) => e.type === 'result');
    assert.deepEqual(results.map((r) => r.sha256).sort(), [sha256(a), sha256(b)].sort());
    const nothing = await runCli(['resume', '--data-dir', data]);
    assert.equal(nothing.code, 0);
    assert.match(nothing.stderr, /Nothing to resume/);
  });
});

describe('kill -9 at random moments during a 256 MiB download from nginx', { skip: NGINX_BINARY ? false : 'nginx is not installed' }, () => {
  let nginx: Nginx;
  let body: Buffer;
  const SIZE = 256 << 20;
  before(async () => {
    const root = tempDir('kill-root-');
    body = randomBytesOf(SIZE, 99);
    fs.writeFileSync(path.join(root, 'big.bin'), body);
    nginx = await startNginx(root, { limitRate: '48m' });
  });
  after(async () => {
    await nginx?.stop();
  });

  test('every rerun resumes by Range; the result is exact; at most 1.3x the size is served', async () => {
    const { dir, data } = dirs();
    const url = nginx.url('big.bin');
    const args = ['get', url, '--dir', dir, '--data-dir', data, '--json'];
    // Each run is killed 0.1–0.5 s after its bytes start to land in the partial.
    const partial = path.join(dir, 'big.bin.ferrypart');
    const size = (): number => (fs.existsSync(partial) ? fs.statSync(partial).size : 0);
    const kills = await killRepeatedly(args, 5, 100, 400, () => {
      const before = size();
      return () => size() > before;
    });
    const final = await runCli(args);
    assert.equal(final.code, 0, final.stderr);
    const result = resultOf(final);
    assert.equal(result.sha256, sha256(body));
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'big.bin'))), sha256(body));
    const log = nginx.log().filter((l) => l.uri === '/big.bin');
    const ranged = log.filter((l) => l.range !== '');
    assert.ok(ranged.length >= 5, `each rerun asked with Range (got ${ranged.length} of ${log.length} requests)`);
    assert.ok(ranged.every((l) => l.status === 206 && l.ifRange !== ''));
    const served = log.reduce((sum, l) => sum + l.bytes, 0);
    const ratio = served / SIZE;
    process.stderr.write(`  kill -9 after ${kills.join(', ')} ms; nginx served ${(served / 2 ** 20).toFixed(1)} MiB for 256 MiB (${ratio.toFixed(3)}x) in ${log.length} requests\n`);
    assert.ok(ratio <= 1.3, `served ${ratio.toFixed(3)}x the file size`);
  });
});

describe('ferry serve: the CLI contract (DESIGN.md section 7)', () => {
  test('--json prints the listening line first; usage errors exit 2; a held data directory exits 4; SIGINT exits 130', async () => {
    const dataDir = tempDir('ferry-data-');
    const serve = startCli(['serve', '--data-dir', dataDir, '--json']);
    const listening = await new Promise<Record<string, unknown>>((resolve) => {
      let out = '';
      serve.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as Record<string, unknown>);
      });
    });
    assert.equal(listening.type, 'listening');
    assert.match(String(listening.url), /^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);

    const locked = await runCli(['serve', '--data-dir', dataDir]);
    assert.equal(locked.code, 4);
    assert.match(locked.stderr, /is using the data directory/);
    for (const args of [['serve', '--port', '99999'], ['serve', 'extra'], ['serve', '--bogus']]) {
      const run = await runCli([...args, '--data-dir', tempDir('ferry-data-')]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^ferry: /);
    }

    serve.child.kill('SIGINT');
    const ended = await serve.done;
    assert.equal(ended.code, 130);
    assert.match(ended.stderr, /saving every transfer's progress/);
  });
});
