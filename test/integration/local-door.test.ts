/**
 * The local door (DESIGN.md sections 7 and 9): while `ferry serve` holds a data directory,
 * the CLI hands its work to it through `ferry.sock` and follows it there, printing the same
 * lines and ending with the same exit codes as with an engine of its own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatBytes } from '../../electron/common/format';
import { PROTOCOL_VERSION } from '../../electron/common/rpc';
import { doorAddress } from '../../electron/engine/door/socket-channel';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { CLI, resultOf, runCli, startCli } from '../support/cli';
import { tempDir } from '../support/harness';
import { type ServeProcess, rawDoor, startServe, until } from '../support/service';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

const RESULT_KEYS = ['bytes', 'direction', 'id', 'integrity', 'path', 'restarts', 'resumes', 'sha256', 'state', 'type', 'url'];

let server: FaultServer;
let tus: TusTestServer;
before(async () => {
  server = await new FaultServer().start();
  tus = await startTusServer('tus-server');
});
after(async () => {
  await server.stop();
  await tus.stop();
});

/** `ferry serve` on a fresh data directory, stopped after `body` whatever happens. */
async function withServe(body: (serve: ServeProcess, data: string, dir: string) => Promise<void>, data = tempDir('door-data-')): Promise<void> {
  const dir = tempDir('door-dl-');
  const serve = await startServe(data);
  try {
    await body(serve, data, dir);
  } finally {
    await serve.stop();
  }
}

describe('the local door of ferry serve', () => {
  test('is a socket in the data directory that only its user can open, and it is gone when serve stops', async () => {
    const data = tempDir('door-data-');
    await withServe(async () => {
      const stat = fs.lstatSync(path.join(data, 'ferry.sock'));
      assert.ok(stat.isSocket());
      assert.equal(stat.mode & 0o777, 0o600);
      assert.equal(fs.statSync(data).mode & 0o777, 0o700);
    }, data);
    assert.ok(!fs.existsSync(path.join(data, 'ferry.sock')), 'serve removes its socket when it stops');
  });

  test('ferry get hands the download over: exit 0, the contract\'s result line, the same transfer in the running Ferry', async () => {
    await withServe(async (serve, data, dir) => {
      const body = randomBytesOf(400_000, 31);
      const url = server.serve('/door/ok.bin', { body, etag: '"ok"' });
      const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--max-active', '3']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Ferry is already running on this data directory \(ferry serve, pid \d+\); handing this over to it\./);
      assert.match(run.stderr, /--max-active applies to a Ferry this command starts; the running one keeps its own settings/);
      const result = resultOf(run);
      assert.deepEqual(Object.keys(result).sort(), RESULT_KEYS);
      assert.equal(result.state, 'completed');
      assert.equal(result.sha256, sha256(body));
      assert.equal(result.bytes, body.length);
      assert.equal(result.path, path.join(dir, 'ok.bin'));
      assert.equal(sha256(fs.readFileSync(path.join(dir, 'ok.bin'))), sha256(body));
      assert.ok(!serve.stderr().includes(url), 'serve did not log the URL (nor anything about the hand-over)');

      // The same get again: the running Ferry answers that the file is already there.
      const again = await runCli(['get', url, '--dir', dir, '--data-dir', data]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /Already downloaded: .*ok\.bin still has the SHA-256 it was saved with/);
      assert.match(again.stdout, /^Saved .*ok\.bin \(391 KiB\), unverified: no checksum was given or offered; sha256 [0-9a-f]{64}\n$/);
      assert.equal(server.requests('/door/ok.bin').length, 1, 'nothing fetched twice');

      // list through the door: the row, with its id and reason columns.
      const list = await runCli(['list', '--data-dir', data]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+DIR\s+STATE\s+VERDICT\s+SIZE\s+NAME\n/);
      assert.match(list.stdout, new RegExp(`${String(result.id).slice(0, 8)}\\s+down\\s+completed\\s+sha256 recorded\\s+391 KiB\\s+ok\\.bin`));
    });
  });

  test('a failure exits 1 and a checksum mismatch exits 3, as with an engine of its own; a failed get into a new folder leaves none', async () => {
    await withServe(async (_serve, data, dir) => {
      const missing = server.serve('/door/missing.bin', { body: Buffer.alloc(10) }, [{ status: 404 }, { status: 404 }]);
      const fresh = path.join(dir, 'new', 'deeper');
      const failed = await runCli(['get', missing, '--dir', fresh, '--data-dir', data]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stdout, /^Failed .*missing\.bin: HTTP 404/);
      assert.ok(!fs.existsSync(path.join(dir, 'new')), 'the folder the failed get created is gone');

      const body = randomBytesOf(100_000, 32);
      const url = server.serve('/door/bad.bin', { body, etag: '"b"' });
      const wrong = `sha256:${'0'.repeat(64)}`;
      const mismatch = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--checksum', wrong, '--json']);
      assert.equal(mismatch.code, 3, mismatch.stderr);
      assert.equal((resultOf(mismatch).integrity as { status: string }).status, 'mismatch');
      assert.ok(!fs.existsSync(path.join(dir, 'bad.bin')), 'nothing under the final name');

      const list = await runCli(['list', '--data-dir', data]);
      assert.match(list.stdout, /failed .*missing\.bin\n\s+HTTP 404 from/, 'a failed row says why on the line below');
    });
  });

  test('a folder put hands every file over; one progress summary without --verbose, a line per file with it', async () => {
    await withServe(async (_serve, data) => {
      const folder = tempDir('door-put-');
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(folder, `f${i}.txt`), `file ${i}\n`.repeat(1000 + i));
      const run = await runCli(['put', folder, '--to', tus.endpoint, '--data-dir', data]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /handing this over/);
      const bytes = fs.readdirSync(folder).reduce((n, f) => n + fs.statSync(path.join(folder, f)).size, 0);
      assert.equal(run.stdout, `Uploaded 5 of 5 files (${formatBytes(bytes)}); the server offered no checksum, so each one's SHA-256 is recorded.\n`);
      assert.deepEqual(tus.storedDigests().length >= 5, true);

      const other = tempDir('door-put-');
      for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(other, `g${i}.txt`), `other ${i}\n`);
      const verbose = await runCli(['put', other, '--to', tus.endpoint, '--data-dir', data, '--verbose']);
      assert.equal(verbose.code, 0, verbose.stderr);
      assert.equal(verbose.stdout.split('\n').filter((l) => l.startsWith('Uploaded ')).length, 3);
    });
  });

  test('Ctrl-C pauses what the command set moving; the running Ferry keeps it and the same get continues it', async () => {
    await withServe(async (_serve, data, dir) => {
      const body = randomBytesOf(1 << 20, 33);
      const url = server.serve('/door/interrupt.bin', { body, etag: '"i"' }, [{ stallAfter: 300_000 }]);
      const first = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
      await until(() => server.requests('/door/interrupt.bin').length > 0, 'the download to start');
      await new Promise((r) => setTimeout(r, 700));
      first.child.kill('SIGINT');
      const stopped = await first.done;
      assert.equal(stopped.code, 130, stopped.stderr);
      const stop = stopped.events.find((e) => e.type === 'stopped')!;
      assert.equal(stop.state, 'paused');
      const list = await runCli(['list', '--data-dir', data, '--json']);
      assert.deepEqual(list.events.map((e) => [e.id, e.state]), [[stop.id, 'paused']], 'paused in the running Ferry, not canceled, not moving');

      const again = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
      assert.equal(again.code, 0, again.stderr);
      const result = resultOf(again);
      assert.equal(result.id, stop.id, 'the same transfer continued');
      assert.equal(result.resumes, 1);
      assert.equal(result.sha256, sha256(body));
    });
  });

  test('Ctrl-C leaves alone what was already moving before the command came', async () => {
    await withServe(async (_serve, data, dir) => {
      const url = server.serve('/door/shared.bin', { body: randomBytesOf(1 << 20, 37), etag: '"sh"' }, [{ stallAfter: 300_000 }]);
      const owner = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
      await until(() => server.requests('/door/shared.bin').length > 0, 'the download to start');
      await new Promise((r) => setTimeout(r, 500));
      // A second get of the same file follows the same transfer; its Ctrl-C does not stop it.
      const watcher = startCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
      await new Promise((r) => setTimeout(r, 700));
      watcher.child.kill('SIGINT');
      assert.equal((await watcher.done).code, 130);
      const list = await runCli(['list', '--data-dir', data, '--json']);
      assert.deepEqual(list.events.map((e) => e.state), ['active']);
      owner.child.kill('SIGINT');
      assert.equal((await owner.done).code, 130);
      const after = await runCli(['list', '--data-dir', data, '--json']);
      assert.deepEqual(after.events.map((e) => e.state), ['paused']);
    });
  });

  test('a running Ferry that stops while the CLI follows: exit 1, progress saved, the same command finishes it', async () => {
    const data = tempDir('door-data-');
    const dir = tempDir('door-dl-');
    const body = randomBytesOf(1 << 20, 34);
    const url = server.serve('/door/serve-stops.bin', { body, etag: '"s"' }, [{ stallAfter: 200_000 }]);
    const serve = await startServe(data);
    const following = startCli(['get', url, '--dir', dir, '--data-dir', data]);
    await until(() => server.requests('/door/serve-stops.bin').length > 0, 'the download to start');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await serve.stop(), 143);
    const ended = await following.done;
    assert.equal(ended.code, 1, ended.stderr);
    assert.match(ended.stderr, /The running Ferry stopped before these transfers ended; their progress is saved\. Run the same command to continue\./);
    // Nobody holds the data directory now: the CLI runs its own engine and finishes the same transfer.
    const again = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /handing this over/);
    assert.equal(resultOf(again).resumes, 1);
    assert.equal(resultOf(again).sha256, sha256(body));
  });

  test('a socket left by a killed serve is replaced by the next one; a data directory too deep for a socket path still gets a door', async () => {
    const data = tempDir('door-data-');
    const killed = spawn(process.execPath, [CLI, 'serve', '--data-dir', data, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => killed.stdout!.once('data', () => resolve()));
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    assert.ok(fs.lstatSync(path.join(data, 'ferry.sock')).isSocket(), 'the killed serve left its socket behind');
    const leftover = await runCli(['list', '--data-dir', data]);
    assert.equal(leftover.code, 0, `a dead socket is not a running Ferry: ${leftover.stderr}`);
    await withServe(async (_serve, d, dir) => {
      const url = server.serve('/door/after-kill.bin', { body: randomBytesOf(1000, 35) });
      const run = await runCli(['get', url, '--dir', dir, '--data-dir', d]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /handing this over/);
    }, data);

    const deep = path.join(tempDir('door-deep-'), 'a'.repeat(60), 'b'.repeat(60));
    fs.mkdirSync(deep, { recursive: true });
    await withServe(async (_serve, d, dir) => {
      const address = doorAddress(d);
      assert.ok(!address.startsWith(d), 'the socket lives outside a data directory too deep for a socket path');
      assert.equal(fs.lstatSync(address).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(address)).mode & 0o777, 0o700);
      const url = server.serve('/door/deep.bin', { body: randomBytesOf(1000, 36) });
      const run = await runCli(['get', url, '--dir', dir, '--data-dir', d]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /handing this over/);
    }, deep);
  });

  test('what arrives on the door cannot hurt the engine: lines that are not JSON, calls before a hello, a huge line, another protocol', async () => {
    await withServe(async (_serve, data) => {
      const peer = await rawDoor(data);
      peer.send('this is not json');
      peer.send({ t: 'call', id: 1, method: 'snapshot', arg: null });
      await until(() => peer.received.length >= 2, 'the answers to a bad line and a call before the hello');
      assert.equal(peer.received[0]!.t, 'fault');
      assert.equal((peer.received[1] as { result: { error: { code: string } } }).result.error.code, 'version-mismatch');
      await peer.closed;

      const big = net.connect(doorAddress(data));
      const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
      big.on('error', () => undefined);
      const chunk = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 20 && !big.destroyed; i++) big.write(chunk);
      await closed;

      const other = await rawDoor(data);
      other.send({ t: 'hello', protocol: '9.0', app: '9.0.0' });
      await other.closed;
      assert.equal(other.received.find((m) => m.t === 'fault')?.error && (other.received.find((m) => m.t === 'fault')!.error as { code: string }).code, 'version-mismatch');

      // Still serving: a proper peer gets its snapshot, and the CLI still hands over.
      const good = await rawDoor(data);
      good.send({ t: 'hello', protocol: PROTOCOL_VERSION, app: null });
      good.send({ t: 'call', id: 7, method: 'addUploads', arg: { paths: ['/tmp'] } });
      good.send({ t: 'call', id: 8, method: 'snapshot', arg: null });
      await until(() => good.received.filter((m) => m.t === 'reply').length >= 2, 'two replies');
      const neither = good.received.find((m) => m.t === 'reply' && m.id === 7) as { result: { ok: boolean; error: { code: string; message: string } } };
      assert.equal(neither.result.error.code, 'invalid-argument');
      assert.match(neither.result.error.message, /a destination from the settings or a URL to upload to/);
      assert.ok((good.received.find((m) => m.t === 'reply' && m.id === 8) as { result: { ok: boolean } }).result.ok);
      good.close();
    });
  });
});
