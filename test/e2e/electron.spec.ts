/**
 * The desktop app itself: launch, the window shows the queue from app://ferry, a download
 * completes and is shown Verified. Needs an Electron binary (and a display); without one it skips and says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
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
  const app = await electron.launch({
    executablePath: 'missing' in found ? undefined : found.binary,
    args: [ROOT],
    env: { ...process.env, FERRY_DATA_DIR: dataDir, XDG_DOWNLOAD_DIR: downloads, ...(binding ? { FERRY_SQLITE_BINDING: binding } : {}) },
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
  } finally {
    await app.close();
    await nginx.stop();
  }
});
