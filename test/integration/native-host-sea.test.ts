/**
 * The stand-alone native host (electron/engine/browser-host/standalone.ts) as the single
 * executable build/native-host-sea.mjs makes of it: what the Windows installer ships, since
 * a windowed app there gets no standard input. Built and run here on this OS, as the
 * release workflow builds and ships it on Windows: it answers the browser's framing, and a
 * capture that finds no Ferry running starts the app named by --app (here a stand-in that
 * runs ferry serve on the data directory it is given), waits for its door, and the file lands.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM_EXTENSION_ORIGIN, type HostReply } from '../../electron/common/browser-capture';
import { FrameReader, encodeFrame } from '../../electron/engine/browser-host/framing';
import { CLI, ROOT } from '../support/cli';
import { FaultServer } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { until } from '../support/service';

const BODY = crypto.randomBytes(300_000);
let site: FaultServer;
let fileUrl: string;
let host: string;
const dataDirs: string[] = [];

before(async () => {
  site = await new FaultServer().start();
  fileUrl = site.serve('/files/report.bin', { body: BODY });
  host = execFileSync(process.execPath, [path.join(ROOT, 'build', 'native-host-sea.mjs')], { encoding: 'utf8' }).trim();
});

after(async () => {
  void site.stop();
  // The Ferry the host started runs apart from it: stop it by the pid its data directory
  // names, and wait until it has gone, so that it is not still closing its store in a
  // folder the harness removes as this process exits (ENOTEMPTY).
  const stopping: number[] = [];
  for (const dir of dataDirs) {
    try {
      const { pid } = JSON.parse(fs.readFileSync(path.join(dir, 'ferry.lock.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGTERM');
      stopping.push(pid);
    } catch {
      // not running
    }
  }
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 10_000;
  while (stopping.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
});

function runHost(args: string[], input: Buffer, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; replies: HostReply[]; stderr: string }> {
  const child = spawn(host, [...args, CHROMIUM_EXTENSION_ORIGIN], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const reader = new FrameReader(1 << 24);
  const replies: HostReply[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    for (const f of reader.push(chunk)) if (f.ok) replies.push(f.message as HostReply);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, replies, stderr })));
}

test('the single executable speaks the browser\'s framing: with no Ferry and no app to start, not-running', async () => {
  assert.ok(fs.statSync(host).size > 1 << 20, 'a whole Node is inside');
  const run = await runHost(['--data-dir', tempDir('sea-empty-')], encodeFrame({ id: 1, method: 'status' }));
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.replies.map((r) => (r.ok ? 'ok' : r.error.code)), ['not-running']);
});

test('a capture with no Ferry running starts the app named by --app, waits for its door, and the file lands', async () => {
  const data = tempDir('sea-data-');
  dataDirs.push(data);
  const downloads = tempDir('sea-dl-');
  // The app as the host starts it: a program given FERRY_DATA_DIR, here ferry serve on it.
  const app = path.join(tempDir('sea-app-'), process.platform === 'win32' ? 'app.cmd' : 'app');
  fs.writeFileSync(app, process.platform === 'win32' ? `@"${process.execPath}" "${CLI}" serve --data-dir "%FERRY_DATA_DIR%"\r\n` : `#!/bin/sh\nexec '${process.execPath}' '${CLI}' serve --data-dir "$FERRY_DATA_DIR"\n`, { mode: 0o755 });
  const run = await runHost(['--data-dir', data, '--app', app], encodeFrame({ id: 5, method: 'capture', arg: { downloads: [{ url: fileUrl }] } }), { XDG_DOWNLOAD_DIR: downloads });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.replies[0]?.ok, JSON.stringify(run.replies));
  const file = path.join(downloads, 'report.bin');
  await until(() => fs.existsSync(file), 'the captured file', 20_000);
  assert.ok(BODY.equals(fs.readFileSync(file)));
});
