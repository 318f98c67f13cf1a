import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { startNotes } from '../../electron/cli/start';
import { tempDir } from '../support/harness';

const START = path.join(__dirname, '..', '..', 'electron', 'cli', 'start.js');

test('npm start without a window: says why, where downloads go, where the data lives, that Ctrl-C stops it, then the URL; Ctrl-C exits 130', async () => {
  const dataDir = tempDir('ferry-data-');
  const downloads = tempDir('ferry-downloads-');
  const child = spawn(process.execPath, [START, '--port', '0'], {
    // No window on any OS: no display, and an Electron binary (where one was downloaded)
    // looked for in an empty folder, with nothing fetched.
    env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ELECTRON_OVERRIDE_DIST_PATH: tempDir(), ELECTRON_SKIP_BINARY_DOWNLOAD: '1', FERRY_DATA_DIR: dataDir, XDG_DOWNLOAD_DIR: downloads },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code} before listening:\n${stderr}`)));
  });
  assert.match(stdout, /^Ferry is running\. Open http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}\n$/);
  const lines = stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^ferry: the desktop app cannot open here: .*; starting ferry serve instead\.$/);
  assert.deepEqual(lines.slice(1, 4), [
    `ferry: downloads go to ${downloads} unless Settings names another folder`,
    `ferry: Ferry's data (queue, history, ferry.log) is in ${dataDir}`,
    'ferry: Ctrl-C here stops Ferry; every transfer keeps its progress for the next start',
  ]);

  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.match(stderr, /saving every transfer's progress/);
});

test('npm start says where downloads go, where the data lives and that Ctrl-C stops it', () => {
  const env = { XDG_DOWNLOAD_DIR: path.resolve('/srv/downloads'), FERRY_DATA_DIR: path.resolve('/srv/ferry') };
  const serve = startNotes('serve', ['--port', '0'], env);
  assert.deepEqual(serve, [
    `downloads go to ${path.resolve('/srv/downloads')} unless Settings names another folder`,
    `Ferry's data (queue, history, ferry.log) is in ${path.resolve('/srv/ferry')}`,
    'Ctrl-C here stops Ferry; every transfer keeps its progress for the next start',
  ]);
  // ferry serve takes --data-dir, in either spelling; the desktop app does not.
  assert.match(startNotes('serve', ['--data-dir', 'elsewhere'], env)[1]!, new RegExp(`is in ${escape(path.resolve('elsewhere'))}$`));
  assert.match(startNotes('serve', ['--data-dir=elsewhere'], env)[1]!, new RegExp(`is in ${escape(path.resolve('elsewhere'))}$`));
  const window = startNotes('window', ['--data-dir', 'elsewhere'], env);
  assert.match(window[1]!, new RegExp(`is in ${escape(path.resolve('/srv/ferry'))}$`));
  assert.equal(window[2], 'Ctrl-C here quits Ferry, as Quit in its menu does');
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
