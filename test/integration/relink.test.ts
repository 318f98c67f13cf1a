/**
 * `ferry relink <id> <url>` (DESIGN.md section 10): an unfinished download takes a new link
 * only when the new link proves it serves the same bytes; then it continues from them.
 * Refused: exit 2 with the reason, and the old link, the partial and the record are kept.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli, startCli } from '../support/cli';
import { tempDir } from '../support/harness';
import { startServe, until } from '../support/service';

let server: FaultServer;
let other: FaultServer;
before(async () => {
  server = await new FaultServer().start();
  other = await new FaultServer().start();
});
after(async () => {
  await server.stop();
  await other.stop();
});

const partialSize = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** A get of `url` stopped by Ctrl-C once its bytes stall at `stallAt`; answers the transfer's id. */
async function interrupted(url: string, dir: string, data: string, name: string, extra: string[] = []): Promise<string> {
  const run = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json', ...extra]);
  await until(() => partialSize(path.join(dir, `${name}.ferrypart`)) > 0, 'the download to start');
  await new Promise((r) => setTimeout(r, 600));
  run.child.kill('SIGINT');
  const stopped = await run.done;
  assert.equal(stopped.code, 130, stopped.stderr);
  return stopped.events.find((e) => e.type === 'stopped')!.id as string;
}

const listed = async (data: string): Promise<Array<Record<string, unknown>>> => (await runCli(['list', '--data-dir', data, '--json'])).events;

describe('ferry relink', () => {
  test('a new link to the same bytes is taken and the download continues from the partial (a Range request past 0 to the new link)', async () => {
    const dir = tempDir('relink-dl-');
    const data = tempDir('relink-data-');
    const body = randomBytesOf(3 << 20, 70);
    const old = server.serve('/relink/old/file.bin', { body, etag: '"v1"' }, [{ stallAfter: (2 << 20) + 300_000 }]);
    const id = await interrupted(old, dir, data, 'file.bin');
    const moved = server.serve('/relink/new/file.bin', { body, etag: '"elsewhere-7"' });
    // The short id, as ferry list shows it, names the transfer.
    const run = await runCli(['relink', id.slice(0, 8), moved, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /New link taken: the 64\.0 KiB before [\d.]+ MiB match; 2 recorded block digests match \(blocks 0, 1\)\./);
    const result = resultOf(run);
    assert.equal(result.id, id);
    assert.equal(result.url, moved);
    assert.equal(result.sha256, sha256(body));
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'file.bin'))), sha256(body));
    const continued = server.requests('/relink/new/file.bin').filter((r) => r.status === 206 && r.range && !/^bytes=\d+-\d+$/.test(r.range));
    assert.equal(continued.length, 1, 'one request continued the download');
    assert.ok(Number(/^bytes=(\d+)-$/.exec(continued[0]!.range!)![1]) > 0, `it continued past 0 (${continued[0]!.range})`);
    assert.equal(continued[0]!.ifRange, '"elsewhere-7"', 'with the new link\'s own validator');
  });

  test('a new link to other bytes is refused (exit 2, the reason), and the old link, the partial and the record stay', async () => {
    const dir = tempDir('relink-dl-');
    const data = tempDir('relink-data-');
    const body = randomBytesOf(3 << 20, 71);
    const old = server.serve('/relink/old/other.bin', { body, etag: '"o1"' }, [{ stallAfter: (2 << 20) + 300_000 }]);
    const id = await interrupted(old, dir, data, 'other.bin');
    const partial = path.join(dir, 'other.bin.ferrypart');
    const held = fs.readFileSync(partial);

    // The same size, the same bytes at the end of what is held, but block 0 differs: only the sample can tell.
    const tricky = Buffer.from(body);
    tricky[100] = tricky[100]! ^ 0xff;
    const differs = server.serve('/relink/new/other-a.bin', { body: tricky, etag: '"t"' });
    const refusedBlock = await runCli(['relink', id, differs, '--data-dir', data]);
    assert.equal(refusedBlock.code, 2, refusedBlock.stderr);
    assert.match(refusedBlock.stderr, /the new link was not taken: block 0 \(at 0 B\) of the new link differs from the one recorded\. The old link and the bytes held are kept\./);

    const shorter = server.serve('/relink/new/other-b.bin', { body: body.subarray(0, body.length - 1), etag: '"s"' });
    const refusedSize = await runCli(['relink', id, shorter, '--data-dir', data]);
    assert.equal(refusedSize.code, 2);
    assert.match(refusedSize.stderr, /the new link serves a file of [\d.]+ MiB, not 3\.00 MiB/);

    const whole = server.serve('/relink/new/other-c.bin', { body, etag: '"w"' }, [{ ignoreRange: true }, { ignoreRange: true }]);
    const refusedRanges = await runCli(['relink', id, whole, '--data-dir', data]);
    assert.equal(refusedRanges.code, 2);
    assert.match(refusedRanges.stderr, /does not serve byte ranges/);

    const noValidator = server.serve('/relink/new/other-d.bin', { body, etag: null });
    const refusedValidator = await runCli(['relink', id, noValidator, '--data-dir', data]);
    assert.equal(refusedValidator.code, 2);
    assert.match(refusedValidator.stderr, /gives no strong validator/);

    assert.deepEqual(fs.readFileSync(partial), held, 'the partial is untouched');
    const [row] = await listed(data);
    assert.equal(row!.url, old, 'the old link is kept');
    assert.equal(row!.state, 'queued', 'as Ctrl-C left it: it continues when Ferry runs again');
    const unknown = await runCli(['relink', 'ffffffff', differs, '--data-dir', data]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no transfer has the id ffffffff; ferry list shows the ids/);
  });

  test('a failed download whose link expired takes a new one on another origin; the headers given for the old origin never go there', async () => {
    const dir = tempDir('relink-dl-');
    const data = tempDir('relink-data-');
    const body = randomBytesOf(600_000, 72);
    const old = server.serve('/relink/old/expiring.bin', { body, etag: '"e1"' }, [{ stallAfter: 300_000 }]);
    const id = await interrupted(old, dir, data, 'expiring.bin', ['--header', 'X-Token: old-origin-secret']);
    server.serve('/relink/old/expiring.bin', { body, etag: '"e1"' }, [{ status: 410 }, { status: 410 }, { status: 410 }]);
    const failed = await runCli(['resume', '--data-dir', data]);
    assert.equal(failed.code, 1, failed.stderr);
    const elsewhere = other.serve('/mirror/expiring.bin', { body, etag: '"m1"' });
    const run = await runCli(['relink', id, elsewhere, '--data-dir', data]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /New link taken: every byte held \([\d.]+ KiB\) matches\./);
    assert.match(run.stderr, /The headers given for the old link stay with its origin/);
    assert.match(run.stdout, /^Saved .*expiring\.bin/);
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'expiring.bin'))), sha256(body));
    assert.ok(other.requests('/mirror/expiring.bin').every((r) => r.headers['x-token'] === undefined), 'the old origin\'s header never reached the new one');
  });

  test('through the local door while ferry serve runs: the same proof, the same exit codes', async () => {
    const dir = tempDir('relink-dl-');
    const data = tempDir('relink-data-');
    const body = randomBytesOf(1 << 20, 73);
    const old = server.serve('/relink/old/door.bin', { body, etag: '"d1"' }, [{ stallAfter: 500_000 }]);
    const id = await interrupted(old, dir, data, 'door.bin');
    // The old link has expired by the time serve starts and tries it again.
    server.serve('/relink/old/door.bin', { body, etag: '"d1"' }, Array.from({ length: 10 }, () => ({ status: 410 })));
    const serve = await startServe(data);
    try {
      await until(() => server.requests('/relink/old/door.bin').some((r) => r.status === 410), 'serve to find the old link expired');
      const wrong = server.serve('/relink/new/door-wrong.bin', { body: randomBytesOf(1 << 20, 74), etag: '"x"' });
      const refused = await runCli(['relink', id, wrong, '--data-dir', data]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /handing this over/);
      assert.match(refused.stderr, /the new link was not taken: the new link serves other bytes in the first/);
      const right = server.serve('/relink/new/door.bin', { body, etag: '"d2"' });
      const run = await runCli(['relink', id, right, '--data-dir', data, '--json']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(resultOf(run).sha256, sha256(body));
      assert.ok(server.requests('/relink/new/door.bin').some((r) => /^bytes=[1-9]\d*-$/.test(r.range ?? '')), 'continued past 0');
    } finally {
      await serve.stop();
    }
  });
});
