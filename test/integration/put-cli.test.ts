import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { killRepeatedly, resultOf, runCli, startCli } from '../support/cli';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { type PutServer, type TusTestServer, startPutServer, startTusServer } from '../support/tus-servers';

/** `ferry put` as DESIGN.md section 7 fixes it: folders, both protocols, continuing after Ctrl-C. */
describe('ferry put', () => {
  let tus: TusTestServer;
  let put: PutServer;
  before(async () => {
    tus = await startTusServer('tus-server');
    put = await startPutServer();
  });
  after(async () => {
    await tus.stop();
    await put.stop();
  });

  test('a folder goes up recursively with relative paths; links out of it are skipped and said so', async () => {
    const outside = path.join(tempDir('outside-'), 'secret.txt');
    fs.writeFileSync(outside, 'not for upload');
    const root = path.join(tempDir('drop-'), 'photos');
    fs.mkdirSync(path.join(root, '2026', 'may'), { recursive: true });
    const bodies: Record<string, Buffer> = {
      'photos/a.bin': randomBytesOf(70_000, 1),
      'photos/2026/b.bin': randomBytesOf(1 << 20, 2),
      'photos/2026/may/c.bin': randomBytesOf(5_000, 3),
    };
    for (const [rel, body] of Object.entries(bodies)) fs.writeFileSync(path.join(path.dirname(root), rel), body);
    fs.symlinkSync(outside, path.join(root, 'escape.txt'));
    fs.symlinkSync(path.join(root, 'a.bin'), path.join(root, '2026', 'same-as-a.bin'));
    tus.log.length = 0;
    const run = await runCli(['put', root, '--to', tus.endpoint, '--data-dir', tempDir(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Skipping .*escape\.txt: a link to outside the folder/);
    const results = run.events.filter((e) => e.type === 'result');
    assert.equal(results.length, 4, 'three files and the link inside the folder');
    assert.ok(results.every((r) => r.direction === 'upload' && r.state === 'completed'));
    const stored = tus.storedDigests();
    for (const body of Object.values(bodies)) assert.ok(stored.includes(sha256(body)));
    assert.ok(!stored.includes(sha256(Buffer.from('not for upload'))));
    assert.equal(tus.log.filter((r) => r.method === 'POST').length, 4);
    const sent = tus.metadata().map((m) => `${m.relativePath} ${m.filename}`);
    for (const rel of [...Object.keys(bodies), 'photos/2026/same-as-a.bin']) assert.ok(sent.includes(`${rel} ${path.basename(rel)}`), `${rel} in ${sent.join(', ')}`);
  });

  test('files named one by one: one that does not exist is skipped and said so, the others go up', async () => {
    const dir = tempDir('named-');
    const bodies = [randomBytesOf(3_000, 6), randomBytesOf(4_000, 7)];
    const [first, second] = bodies.map((body, i) => {
      const file = path.join(dir, `named-${i}.bin`);
      fs.writeFileSync(file, body);
      return file;
    }) as [string, string];
    const missing = path.join(dir, 'not-there.bin');
    const run = await runCli(['put', first, missing, second, '--to', tus.endpoint, '--data-dir', tempDir(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Skipping .*not-there\.bin: it does not exist/);
    const results = run.events.filter((e) => e.type === 'result');
    assert.deepEqual(results.map((r) => r.path), [first, second]);
    const stored = tus.storedDigests();
    for (const body of bodies) assert.ok(stored.includes(sha256(body)));
  });

  test('--protocol put sends each file with Content-Digest; a Repr-Digest answer verifies it', async () => {
    const dir = path.join(tempDir('put-'), 'docs');
    fs.mkdirSync(dir);
    const a = randomBytesOf(300_000, 4);
    const b = randomBytesOf(2_000, 5);
    fs.writeFileSync(path.join(dir, 'a report.pdf'), a);
    fs.writeFileSync(path.join(dir, 'b.txt'), b);
    const run = await runCli(['put', dir, '--to', put.url, '--protocol', 'put', '--data-dir', tempDir(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(put.badDigests, []);
    assert.equal(sha256(put.stored.get('/store/docs/a report.pdf')!), sha256(a));
    assert.equal(sha256(put.stored.get('/store/docs/b.txt')!), sha256(b));
    const results = run.events.filter((e) => e.type === 'result');
    assert.ok(results.every((r) => (r.integrity as { status: string; source: string }).status === 'verified'));
    assert.ok(results.every((r) => (r.integrity as { source: string }).source === 'server-digest'));
  });

  test('usage errors exit 2 and start nothing', async () => {
    const file = path.join(tempDir(), 'x.bin');
    fs.writeFileSync(file, 'x');
    const cases: Array<[string[], RegExp]> = [
      [['put', file], /needs --to/],
      [['put', '--to', tus.endpoint], /at least one file or folder/],
      [['put', file, '--to', 'ftp://x/'], /uses ftp/],
      [['put', file, '--to', tus.endpoint, '--protocol', 'scp'], /--protocol must be tus or put/],
      [['put', '/no/such/file', '--to', tus.endpoint], /nothing to upload/],
      [['put', file, file + '2', '--to', put.url.replace(/\/$/, ''), '--protocol', 'put'], /nothing to upload|needs a folder URL/],
    ];
    fs.writeFileSync(file + '2', 'y');
    for (const [args, message] of cases) {
      const run = await runCli([...args, '--data-dir', tempDir()]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });

  test('Ctrl-C saves progress; the same put continues the same upload (one creation)', async () => {
    const file = path.join(tempDir(), 'big.bin');
    const body = randomBytesOf(24 << 20, 6);
    fs.writeFileSync(file, body);
    const data = tempDir();
    tus.log.length = 0;
    const first = startCli(['put', file, '--to', tus.endpoint, '--data-dir', data, '--json', '--limit-rate', '8M']);
    await new Promise((r) => setTimeout(r, 1200));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const again = await runCli(['put', file, '--to', tus.endpoint, '--data-dir', data, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const result = resultOf(again);
    assert.equal(result.sha256, sha256(body));
    assert.equal(result.resumes, 1);
    assert.equal(result.path, file);
    assert.ok(tus.storedDigests().includes(sha256(body)));
    assert.equal(tus.log.filter((r) => r.method === 'POST').length, 1);
  });
});

describe('kill -9 at random moments during a batch of 3 x 200 MiB uploads', () => {
  let tus: TusTestServer;
  before(async () => {
    tus = await startTusServer('tus-server');
  });
  after(async () => {
    await tus.stop();
  });

  test('every rerun of the same ferry put resumes with HEAD and PATCH; one creation per file', async () => {
    const dir = tempDir('kill-up-');
    const bodies = [0, 1, 2].map((i) => randomBytesOf(200 << 20, 900 + i));
    const files = bodies.map((body, i) => {
      const file = path.join(dir, `part-${i}.bin`);
      fs.writeFileSync(file, body);
      return file;
    });
    const data = tempDir();
    const args = ['put', ...files, '--to', tus.endpoint, '--data-dir', data, '--json', '--limit-rate', '96M'];
    tus.log.length = 0;
    const kills = await killRepeatedly(args, 5, 400, 600);
    const final = await runCli(args);
    assert.equal(final.code, 0, final.stderr);
    const results = final.events.filter((e) => e.type === 'result');
    assert.deepEqual(results.map((r) => r.sha256), bodies.map(sha256));
    const stored = tus.storedDigests();
    for (const body of bodies) assert.ok(stored.includes(sha256(body)));
    assert.equal(tus.log.filter((r) => r.method === 'POST').length, 3, 'exactly one creation per file');
    const heads = tus.log.filter((r) => r.method === 'HEAD').length;
    assert.ok(heads >= 3 * 4, `each rerun asked the server for its offset (${heads} HEAD requests)`);
    const resumedPatches = tus.log.filter((r) => r.method === 'PATCH' && (r.offset ?? 0) > 0).length;
    assert.ok(resumedPatches >= 3, `PATCHes continued from the server's offsets (${resumedPatches})`);
    process.stderr.write(`  kill -9 after ${kills.join(', ')} ms; ${heads} HEAD requests, ${resumedPatches} PATCHes from a non-zero offset, 3 creations\n`);
  });
});
