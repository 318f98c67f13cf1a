import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytesOf } from '../support/fault-server';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { startServe } from '../support/service';
import { expect, test } from './fixtures';

/** Issue 16, must fix 1: the window opened or reloaded while transfers move was a blank page. */
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-reload-'));
const names = ['moving-1.bin', 'moving-2.bin', 'moving-3.bin'];
for (const [i, name] of names.entries()) fs.writeFileSync(path.join(www, name), randomBytesOf(3 << 20, 40 + i));

let slow: Nginx;
test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));
test.beforeAll(async () => {
  slow = await startNginx(www, { limitRate: '200k' });
});
test.afterAll(async () => {
  await slow.stop();
});

test('a reload and a new tab while downloads move show the queue, with no page error', async ({ app, served, context }) => {
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(names.map((n) => slow.url(n)).join('\n'));
  await app.getByRole('button', { name: 'Start' }).click();
  const first = app.getByRole('row', { name: /moving-1/ });
  await expect(async () => expect(Number(await first.getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThan(2)).toPass({ timeout: 15_000 });
  for (let i = 0; i < 4; i++) {
    await app.reload();
    for (const name of names) await expect(app.getByRole('row', { name: new RegExp(name.replace('.', '\\.')) })).toBeVisible();
  }
  // A second tab on the same address (the token was kept for this tab, so the printed URL is used).
  const other = await context.newPage();
  const problems: string[] = [];
  other.on('pageerror', (error) => problems.push(error.message));
  await other.goto(served.url);
  for (const name of names) await expect(other.getByRole('row', { name: new RegExp(name.replace('.', '\\.')) })).toBeVisible();
  await expect(other.getByRole('row', { name: /moving-1/ }).getByText(/Downloading|SHA-256 recorded/)).toBeVisible();
  expect(problems).toEqual([]);
  await other.close();
});

test('stop and start ferry serve on the same data directory: the same URL, and the open tab reconnects by itself and sees the download finish', async ({ page }) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-restart-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-restart-dl-'));
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  let first = await startServe(dataDir, [], { XDG_DOWNLOAD_DIR: downloads });
  try {
    await page.goto(first.url.href);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('Links').fill(slow.url('moving-3.bin'));
    await page.getByRole('button', { name: 'Start' }).click();
    const row = page.getByRole('row', { name: /moving-3/ });
    await expect(async () => expect(Number(await row.getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThan(2)).toPass({ timeout: 15_000 });

    const address = first.url.href;
    await first.stop();
    await expect(page.getByRole('status').filter({ hasText: /Ferry is not running; reconnecting/ })).toBeVisible({ timeout: 10_000 });
    await expect(page.locator('main.stale')).toBeVisible();

    const second = await startServe(dataDir, [], { XDG_DOWNLOAD_DIR: downloads });
    first = second;
    expect(second.url.href, 'the same data directory gives the same URL').toBe(address);
    await expect(row.getByText('SHA-256 recorded')).toBeVisible({ timeout: 40_000 });
    await expect(page.locator('main.stale')).toHaveCount(0);
    expect(fs.readFileSync(path.join(downloads, 'moving-3.bin')).equals(fs.readFileSync(path.join(www, 'moving-3.bin')))).toBe(true);
    expect(problems).toEqual([]);
  } finally {
    await first.stop();
  }
});
