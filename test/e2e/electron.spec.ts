/**
 * The desktop app itself: launch, the window shows the queue from app://ferry, a download
 * completes and is shown Verified. Needs an Electron binary (and a display); without one it skips and says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { _electron as electron, expect, test } from '@playwright/test';
import { CHROMIUM_EXTENSION_ORIGIN } from '../../electron/common/browser-capture';
import { findElectron, hasDisplay } from '../../electron/cli/start';
import { startNginx } from '../support/nginx';

const ROOT = path.join(__dirname, '..', '..');
const found = findElectron();
const reason = 'missing' in found ? found.missing : !hasDisplay() ? 'there is no display (run under xvfb-run on Linux)' : null;
const binding = 'missing' in found ? null : path.join(ROOT, 'out', 'native', `electron-${found.version}`, 'better_sqlite3.node');

test('the desktop app launches, shows the queue and completes a download', async () => {
  if (reason) process.stdout.write(`skipping the Electron smoke test: ${reason}\n`);
  test.skip(reason !== null, `no Electron to launch: ${reason}`);
  test.skip(binding !== null && !fs.existsSync(binding), 'better-sqlite3 is not built for Electron yet: run npm start once (or electron-builder install-app-deps)');
  const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-www-'));
  const body = Buffer.alloc(2 << 20, 7);
  fs.writeFileSync(path.join(www, 'smoke.bin'), body);
  const nginx = await startNginx(www);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-data-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-dl-'));
  // The app registers its browser host at first start: in a home of its own, where Chromium has been used.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-home-'));
  fs.mkdirSync(path.join(home, '.config', 'chromium'), { recursive: true });
  const homeEnv = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), APPDATA: path.join(home, 'AppData'), LOCALAPPDATA: path.join(home, 'Local') };
  const app = await electron.launch({
    executablePath: 'missing' in found ? undefined : found.binary,
    args: [ROOT],
    env: { ...process.env, ...homeEnv, FERRY_DATA_DIR: dataDir, XDG_DOWNLOAD_DIR: downloads, ...(binding ? { FERRY_SQLITE_BINDING: binding } : {}) },
  });
  try {
    const window = await app.firstWindow();
    // Served by protocol.handle from the built window folder, not file:// (electron/main/app-protocol.ts).
    expect(window.url()).toBe('app://ferry/index.html');
    await expect(window.getByRole('grid', { name: 'Transfers' })).toBeVisible();
    await window.getByRole('button', { name: 'Add', exact: true }).click();
    await window.getByLabel('Links').fill(nginx.url('smoke.bin'));
    await window.getByRole('button', { name: 'Start' }).click();
    const row = window.getByRole('row', { name: /smoke\.bin/ });
    await expect(row.getByText(/Verified|SHA-256 recorded/)).toBeVisible({ timeout: 30_000 });
    expect(fs.readFileSync(path.join(downloads, 'smoke.bin')).equals(body)).toBe(true);

    if (process.platform === 'linux') {
      // Registered at first start; the launcher runs the app itself as the host, which answers through the door.
      const manifest = JSON.parse(fs.readFileSync(path.join(home, '.config', 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json'), 'utf8')) as { path: string };
      const frame = Buffer.from(JSON.stringify({ id: 1, method: 'status' }));
      const head = Buffer.alloc(4);
      head.writeUInt32LE(frame.length);
      const run = spawnSync(manifest.path, [CHROMIUM_EXTENSION_ORIGIN], { input: Buffer.concat([head, frame]), env: { ...process.env, ...homeEnv }, timeout: 30_000 });
      expect(run.status, String(run.stderr)).toBe(0);
      const reply = JSON.parse(run.stdout.subarray(4, 4 + run.stdout.readUInt32LE(0)).toString()) as { ok: boolean; value?: { host: { kind: string } } };
      expect(reply).toMatchObject({ ok: true, value: { host: { kind: 'desktop' } } });
      await window.getByRole('button', { name: 'Settings' }).click();
      await expect(window.getByRole('group', { name: 'Browser extension' }).getByRole('list', { name: 'Browsers' })).toHaveText('Chromium: reaches Ferry');
    }
  } finally {
    await app.close();
    await nginx.stop();
  }
});
