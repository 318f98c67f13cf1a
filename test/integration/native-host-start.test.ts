/**
 * The desktop app's native host (electron/main/native-host-launch.ts) can start Ferry: a
 * capture that finds no Ferry running starts it and waits for its door; the popup's Open
 * button starts it (or, when it runs, a second launch brings its window forward); a look at
 * the queue never starts anything. Here "starting Ferry" runs a real `ferry serve` on the
 * data directory, as the app's own start would open it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM_EXTENSION_ORIGIN, type HostReply } from '../../electron/common/browser-capture';
import { FrameReader, encodeFrame } from '../../electron/engine/browser-host/framing';
import { callerOf, hostSession, reachFerry } from '../../electron/engine/browser-host/host-session';
import { connectLocalDoor } from '../../electron/engine/door/local-door';
import { CLI } from '../support/cli';
import { FaultServer } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { until } from '../support/service';

const BODY = crypto.randomBytes(200_000);
let site: FaultServer;
let fileUrl: string;
const started: ChildProcess[] = [];

before(async () => {
  site = await new FaultServer().start();
  fileUrl = site.serve('/files/started.bin', { body: BODY });
});
after(async () => {
  void site.stop();
  for (const child of started) {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
});

/** A host session whose "start Ferry" runs ferry serve on `data`, counting the starts. */
function startingSession(data: string, downloads: string) {
  let starts = 0;
  const start = (): void => {
    starts++;
    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', data], { env: { ...process.env, XDG_DOWNLOAD_DIR: downloads }, stdio: 'ignore' });
    started.push(child);
  };
  const replies: HostReply[] = [];
  const reader = new FrameReader(1 << 24);
  const session = hostSession({
    caller: callerOf([CHROMIUM_EXTENSION_ORIGIN]),
    dataDir: data,
    connect: (mayStart) => reachFerry(data, mayStart ? start : null),
    start,
    write: (frame) => {
      for (const f of reader.push(frame)) if (f.ok) replies.push(f.message as HostReply);
    },
    log: () => undefined,
  });
  return { session, replies, starts: () => starts };
}

test('a look at the queue starts nothing; Open starts Ferry at once and answers without waiting for it', async () => {
  const data = tempDir('nhs-data-');
  const host = startingSession(data, tempDir('nhs-dl-'));
  host.session.feed(encodeFrame({ id: 1, method: 'status' }));
  await host.session.end();
  assert.deepEqual(host.replies.map((r) => (r.ok ? 'ok' : r.error.code)), ['not-running']);
  assert.equal(host.starts(), 0, 'the popup opening is no reason to start Ferry');

  const open = startingSession(data, tempDir('nhs-dl-'));
  open.session.feed(encodeFrame({ id: 2, method: 'open' }));
  await open.session.end();
  assert.deepEqual(open.replies, [{ id: 2, ok: true, value: { url: null } }]);
  assert.equal(open.starts(), 1);
  const door = await reachFerry(data, null);
  const deadline = Date.now() + 20_000;
  let reached = door;
  while (!reached && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    reached = await connectLocalDoor(data, { timeoutMs: 500 });
  }
  assert.ok(reached, 'the started Ferry opened its door');
  reached.dispose?.();
});

test('a capture that finds no Ferry running starts it, waits for its door, and the file lands', async () => {
  const data = tempDir('nhs-data-');
  const downloads = tempDir('nhs-dl-');
  const host = startingSession(data, downloads);
  host.session.feed(encodeFrame({ id: 7, method: 'capture', arg: { downloads: [{ url: fileUrl }] } }));
  await host.session.end();
  assert.equal(host.starts(), 1);
  assert.ok(host.replies[0]?.ok, JSON.stringify(host.replies));
  const file = path.join(downloads, 'started.bin');
  await until(() => fs.existsSync(file), 'the captured file', 20_000);
  assert.ok(BODY.equals(fs.readFileSync(file)));
});

test('a start that never opens a door ends in not-running after the wait, so the browser keeps its download', async () => {
  const data = tempDir('nhs-data-');
  let starts = 0;
  const door = await reachFerry(data, () => void starts++, 1000);
  assert.equal(door, null);
  assert.equal(starts, 1);
});
