import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliRun, runCli, startCli } from '../support/cli';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine, tempDir } from '../support/harness';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

/**
 * The source an upload reads is checked on every attempt, not only when `ferry put`
 * collects it (issue 12, root cause 7): a folder member that became a link out of its
 * folder, a folder on its way swapped for a link, a single file that now leads to another
 * file. None of them is read, so the server never sees a byte of what the link leads to.
 * A source deleted while it goes up ends the upload with that said, and the server's
 * partial upload is removed.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A file outside every folder uploaded here, holding a marker the server must never see. */
function secretOutside(): { file: string; marker: Buffer } {
  const marker = Buffer.from(`FERRY-SECRET-${randomUUID()}`);
  const file = path.join(tempDir('outside-'), 'secret.txt');
  fs.writeFileSync(file, Buffer.concat([marker, Buffer.from('\nnot for upload\n')]));
  return { file, marker };
}

/** `ferry put` stopped with Ctrl-C once its first PATCH is under way: progress saved, exit 130. */
async function interruptedPut(tus: TusTestServer, args: string[]): Promise<void> {
  tus.log.length = 0;
  const first = startCli([...args, '--limit-rate', '2M']);
  await until('a PATCH', () => tus.log.some((r) => r.method === 'PATCH'));
  await sleep(300);
  first.child.kill('SIGINT');
  const stopped = await first.done;
  assert.equal(stopped.code, 130, stopped.stderr);
}

/** Replaces `file` with a link to a secret outside, then runs `ferry resume` while the server watches for the secret. */
async function swapForLinkThenResume(tus: TusTestServer, file: string, data: string): Promise<{ watched: { seen(): boolean }; resumed: CliRun }> {
  const secret = secretOutside();
  fs.rmSync(file);
  fs.symlinkSync(secret.file, file);
  const watched = tus.watchFor(secret.marker);
  tus.log.length = 0;
  return { watched, resumed: await runCli(['resume', '--data-dir', data, '--json']) };
}

function failedResults(run: CliRun): Array<{ path: string; error: { code: string; message: string } }> {
  return run.events.filter((e) => e.type === 'result' && e.state === 'failed') as never;
}

/** Words a final failure must not use: nothing retries it any more. */
const PROMISES_A_RETRY = /will resume|will try again|resuming the upload/i;

describe('the source is checked on every attempt: ferry resume (real CLI, @tus/server)', () => {
  let tus: TusTestServer;
  before(async () => {
    tus = await startTusServer('tus-server');
  });
  after(async () => {
    await tus.stop();
  });

  test('a folder member replaced by a link to a file outside is refused by resume; the server never gets its bytes', async () => {
    const root = path.join(tempDir('drop-'), 'photos');
    fs.mkdirSync(root);
    const big = path.join(root, 'big.bin');
    fs.writeFileSync(big, randomBytesOf(8 << 20, 41));
    fs.writeFileSync(path.join(root, 'notes.txt'), randomBytesOf(2_000, 42));
    const data = tempDir();
    await interruptedPut(tus, ['put', root, '--to', tus.endpoint, '--data-dir', data, '--json']);

    const { watched, resumed } = await swapForLinkThenResume(tus, big, data);

    assert.equal(watched.seen(), false, 'the server never received a byte of the file the link leads to');
    assert.equal(resumed.code, 1, resumed.stderr);
    const failed = failedResults(resumed);
    assert.equal(failed.length, 1, resumed.stdout);
    assert.equal(failed[0]!.error.code, 'source-changed');
    assert.match(failed[0]!.error.message, /photos\/big\.bin/);
    assert.match(failed[0]!.error.message, /skipped it because it is a link/);
    assert.match(failed[0]!.error.message, /outside the folder/);
    assert.doesNotMatch(failed[0]!.error.message, PROMISES_A_RETRY);
    assert.deepEqual(
      tus.log.filter((r) => r.method === 'POST' || r.method === 'PATCH'),
      [],
      'no new upload was created and nothing was sent',
    );
  });

  test('a single file that turned into a link to another file is a changed source: resume stops and says so', async () => {
    const file = path.join(tempDir('single-'), 'report.bin');
    fs.writeFileSync(file, randomBytesOf(8 << 20, 43));
    const data = tempDir();
    await interruptedPut(tus, ['put', file, '--to', tus.endpoint, '--data-dir', data, '--json']);

    const { watched, resumed } = await swapForLinkThenResume(tus, file, data);

    assert.equal(watched.seen(), false, 'the new target was not uploaded');
    assert.equal(resumed.code, 1, resumed.stderr);
    const [failed] = failedResults(resumed);
    assert.equal(failed?.error.code, 'source-changed', resumed.stdout);
    assert.match(failed!.error.message, /report\.bin is now a link to .*secret\.txt/);
    assert.match(failed!.error.message, /not the file this upload began with/);
    assert.doesNotMatch(failed!.error.message, PROMISES_A_RETRY);
    assert.equal(tus.log.filter((r) => r.method === 'POST').length, 0, 'no new upload was created');
  });

  test('a file named as a link on the command line is still uploaded (the person asked for it)', async () => {
    const dir = tempDir('named-link-');
    const body = randomBytesOf(3 << 20, 44);
    fs.writeFileSync(path.join(dir, 'real.bin'), body);
    fs.symlinkSync(path.join(dir, 'real.bin'), path.join(dir, 'alias.bin'));
    const run = await runCli(['put', path.join(dir, 'alias.bin'), '--to', tus.endpoint, '--data-dir', tempDir(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(tus.storedDigests().includes(sha256(body)));
  });
});

describe('the source is checked on every attempt: the engine resuming by itself (@tus/server)', () => {
  let tus: TusTestServer;
  before(async () => {
    tus = await startTusServer('tus-server');
  });
  after(async () => {
    await tus.stop();
  });

  /** A folder member's upload, quit part-way the way the app quits; a second engine resumes it. */
  async function quitPartWay(source: string, relativePath: string | null): Promise<{ dataDir: string; id: string }> {
    const dataDir = tempDir();
    const first = openEngine(dataDir, undefined, {}, { limits: { bandwidth: 4 << 20 } });
    const { record } = first.engine.addUpload({ source, url: tus.endpoint, relativePath });
    const running = first.engine.run(record.id);
    await until('1 MiB on its way', () => (first.engine.progress(record.id)?.bytes ?? 0) >= 1 << 20);
    await first.engine.close();
    assert.equal((await running).state, 'queued');
    return { dataDir, id: record.id };
  }

  test('a member replaced by a link out of its folder is refused, not uploaded as a new version', async () => {
    const root = path.join(tempDir('drop-'), 'album');
    fs.mkdirSync(root);
    const member = path.join(root, 'track.bin');
    fs.writeFileSync(member, randomBytesOf(6 << 20, 45));
    const { dataDir, id } = await quitPartWay(member, 'album/track.bin');
    const secret = secretOutside();
    fs.rmSync(member);
    fs.symlinkSync(secret.file, member);
    const watched = tus.watchFor(secret.marker);

    const second = openEngine(dataDir);
    const done = await second.engine.run(id);
    await second.engine.close();
    assert.equal(watched.seen(), false);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.code, 'source-changed');
    assert.equal(done.error?.retryable, false);
    assert.match(done.error!.message, /album\/track\.bin .*skipped it because it is a link/);
  });

  test('a folder on the way to a member swapped for a link: its real path is outside the folder, refused', async () => {
    const top = tempDir('drop-');
    const root = path.join(top, 'album');
    fs.mkdirSync(path.join(root, 'disc1'), { recursive: true });
    const member = path.join(root, 'disc1', 'track.bin');
    fs.writeFileSync(member, randomBytesOf(6 << 20, 46));
    const { dataDir, id } = await quitPartWay(member, 'album/disc1/track.bin');
    // The folder moves away and a link to a folder outside takes its name; the file there
    // has the member's name, so only where the path really leads tells them apart.
    const secret = secretOutside();
    fs.renameSync(secret.file, path.join(path.dirname(secret.file), 'track.bin'));
    fs.renameSync(path.join(root, 'disc1'), path.join(top, 'disc1-moved'));
    fs.symlinkSync(path.dirname(secret.file), path.join(root, 'disc1'));
    const watched = tus.watchFor(secret.marker);

    const second = openEngine(dataDir);
    const done = await second.engine.run(id);
    await second.engine.close();
    assert.equal(watched.seen(), false);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.code, 'source-changed');
    assert.match(done.error!.message, /album\/disc1\/track\.bin/);
    assert.match(done.error!.message, /outside the folder/);
    assert.match(done.error!.message, /skipped it because it is reached through a link/);
  });

  test('a source deleted mid-upload: a named error, no retries, the server upload terminated and forgotten', async () => {
    const file = path.join(tempDir('src-'), 'going.bin');
    fs.writeFileSync(file, randomBytesOf(40 << 20, 47));
    tus.log.length = 0;
    const t = openEngine(undefined, undefined, {}, { limits: { bandwidth: 8 << 20 } });
    const { record } = t.engine.addUpload({ source: file, url: tus.endpoint });
    const running = t.engine.run(record.id);
    await until('2 MiB on its way', () => (t.engine.progress(record.id)?.bytes ?? 0) >= 2 << 20);
    const uploadUrl = t.engine.store.get(record.id)!.uploadUrl!;
    assert.ok(tus.holds(uploadUrl), 'the server holds the upload while it goes up');
    fs.rmSync(file);
    const done = await running;
    const history = t.engine.store.history(record.id);
    await t.engine.close();

    assert.equal(done.state, 'failed');
    assert.equal(done.error?.code, 'source-changed');
    assert.equal(done.error?.retryable, false);
    assert.match(done.error!.message, /going\.bin was deleted while it was being uploaded/);
    assert.doesNotMatch(done.error!.message, PROMISES_A_RETRY);
    assert.equal(done.uploadUrl, null, 'the record forgot the upload URL');
    assert.equal(tus.log.filter((r) => r.method === 'DELETE' && uploadUrl.endsWith(r.url)).length, 1, 'the upload was terminated');
    assert.equal(tus.holds(uploadUrl), false, "the server's store no longer has it");
    assert.equal(tus.log.filter((r) => r.method === 'POST').length, 1, 'no new upload');
    assert.deepEqual(history.filter((h) => h.kind === 'retry' || h.kind === 'restart'), [], 'no retry, no restart');
  });
});
