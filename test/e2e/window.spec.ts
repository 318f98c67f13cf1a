import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultServer, randomBytesOf } from '../support/fault-server';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { type TusTestServer, startTusServer } from '../support/tus-servers';
import { expect, screenshot, test } from './fixtures';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-www-'));
const files: Record<string, Buffer> = {
  'ubuntu-24.04-desktop.iso': randomBytesOf(3 << 20, 1),
  'slow-archive.tar.zst': randomBytesOf(3 << 19, 2),
};
for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(www, name), body);

let nginx: Nginx;
let slow: Nginx;
let faults: FaultServer;
let tus: TusTestServer;

test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));

test.beforeAll(async () => {
  nginx = await startNginx(www);
  slow = await startNginx(www, { limitRate: '256k' });
  faults = await new FaultServer().start();
  tus = await startTusServer('tus-server');
});
test.afterAll(async () => {
  await nginx.stop();
  await slow.stop();
  await faults.stop();
  await tus.stop();
});

test('add a URL through the window and watch it reach Verified', async ({ app, served }) => {
  await screenshot(app, 'empty');
  await expect(app.getByText('Nothing moving yet')).toBeVisible();
  const name = 'ubuntu-24.04-desktop.iso';
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Add downloads' });
  await dialog.getByLabel('Links').fill(nginx.url(name));
  await dialog.getByLabel('Checksum (optional)').fill(`sha256:${sha256(files[name]!)}`);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toBeHidden();
  const row = app.getByRole('row', { name: new RegExp(name.replace(/\./g, '\\.')) });
  await expect(row.getByText('Verified')).toBeVisible({ timeout: 20_000 });
  await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  expect(sha256(fs.readFileSync(path.join(served.downloads, name)))).toBe(sha256(files[name]!));
  await expect(app.getByRole('status').filter({ hasText: 'completed' })).toBeVisible();
  await screenshot(app, 'verified');
});

test('pause and resume mid-way; the file ends exact', async ({ app, served }) => {
  const name = 'slow-archive.tar.zst';
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(slow.url(name));
  await app.getByRole('button', { name: 'Start' }).click();
  const row = app.getByRole('row', { name: /slow-archive/ });
  const bar = row.getByRole('progressbar');
  await expect(async () => expect(Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(10)).toPass({ timeout: 15_000 });
  await row.getByRole('button', { name: 'Pause' }).click();
  await expect(row.getByText('Paused')).toBeVisible();
  const held = Number(await bar.getAttribute('aria-valuenow'));
  expect(held).toBeLessThan(100);
  await row.getByRole('button', { name: 'Resume' }).click();
  await expect(row.getByText('SHA-256 recorded')).toBeVisible({ timeout: 20_000 });
  expect(sha256(fs.readFileSync(path.join(served.downloads, name)))).toBe(sha256(files[name]!));
  await row.getByRole('button', { name: 'Details' }).click();
  const details = app.getByRole('complementary', { name: /Details of slow-archive/ });
  await expect(details.getByText(/Resumes \(1\)/)).toBeVisible();
  await expect(details.getByText(/overlap check ok/)).toBeVisible();
  await screenshot(app, 'details');
});

test('a server that corrupts the file shows Mismatch with the expected and actual digests', async ({ app, served }) => {
  const body = randomBytesOf(400_000, 3);
  const digest = createHash('sha256').update(body).digest('base64');
  const corrupt = (b: Buffer): Buffer => {
    const copy = Buffer.from(b);
    copy[1000] = copy[1000]! ^ 0xff;
    return copy;
  };
  const url = faults.serve('/corrupt/firmware.bin', { body, etag: '"c1"', headers: { 'repr-digest': `sha-256=:${digest}:` } }, [{ replaceBody: corrupt }, { replaceBody: corrupt }]);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(url);
  await app.getByRole('button', { name: 'Start' }).click();
  const row = app.getByRole('row', { name: /firmware\.bin/ });
  await expect(row.getByText('Mismatch')).toBeVisible({ timeout: 20_000 });
  await row.getByRole('button', { name: 'Details' }).click();
  const details = app.getByRole('complementary', { name: /Details of firmware\.bin/ });
  await expect(details.getByTestId('expected-digest')).toHaveText(sha256(body));
  await expect(details.getByTestId('actual-digest')).toHaveText(sha256(corrupt(body)));
  await expect(details.getByText(/do not match/)).toBeVisible();
  expect(fs.existsSync(path.join(served.downloads, 'firmware.bin')), 'a mismatched file is never placed under its name').toBe(false);
  await screenshot(app, 'details-mismatch');
});

test('a failing server shows the reason in plain words, and Retry works', async ({ app }) => {
  const url = faults.serve('/gone/report.pdf', { body: randomBytesOf(50_000, 4), etag: '"g"' }, [{ status: 404 }]);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(url);
  await app.getByRole('button', { name: 'Start' }).click();
  const row = app.getByRole('row', { name: /report\.pdf/ });
  await expect(row.getByText(/HTTP 404 .*check the URL/)).toBeVisible({ timeout: 15_000 });
  await expect(row.getByText('Failed')).toBeVisible();
  // Nothing arrived: no empty bar, no "0 B". The error opens the details, which say why there is no verdict.
  await expect(row.getByRole('progressbar')).toHaveCount(0);
  await row.getByRole('button', { name: /HTTP 404/ }).click();
  const details = app.getByRole('complementary', { name: /Details of report\.pdf/ });
  await expect(details.getByText('Not verified: the download failed')).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(details).toBeHidden();
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect(row.getByText('SHA-256 recorded')).toBeVisible({ timeout: 15_000 });
});

test('a folder upload by path reaches the tus server intact', async ({ app }) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-up-'));
  fs.mkdirSync(path.join(folder, 'holiday', 'day2'), { recursive: true });
  const bodies = { 'holiday/beach.jpg': randomBytesOf(1_500_000, 5), 'holiday/day2/notes.txt': randomBytesOf(2000, 6) };
  for (const [rel, body] of Object.entries(bodies)) fs.writeFileSync(path.join(folder, rel), body);

  await app.getByRole('button', { name: 'Settings' }).click();
  const settings = app.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('button', { name: 'Add destination' }).click();
  await settings.getByLabel('Name').fill('Home server');
  await settings.getByLabel('URL').fill(tus.endpoint);
  await settings.getByRole('button', { name: 'Add header' }).click();
  await settings.getByLabel('Header name').fill('Authorization');
  await settings.getByLabel('Header value').fill('Bearer e2e-secret-token');
  await screenshot(app, 'settings');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings).toBeHidden();

  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  const upload = app.getByRole('dialog', { name: 'Upload files' });
  await upload.getByLabel(/Files or folders/).fill(path.join(folder, 'holiday'));
  await expect(upload.getByLabel('Destination')).toHaveValue(/.+/);
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(upload).toBeHidden();
  for (const rel of Object.keys(bodies)) {
    await expect(app.getByRole('row', { name: new RegExp(rel.replace(/\./g, '\\.')) }).getByText('Completed')).toBeVisible({ timeout: 20_000 });
  }
  for (const body of Object.values(bodies)) expect(tus.storedDigests()).toContain(sha256(body));

  // The secret never comes back to the window.
  await app.getByRole('button', { name: 'Settings' }).click();
  await expect(app.getByLabel('Header value')).toHaveValue('');
  await expect(app.getByLabel('Header value')).toHaveAttribute('placeholder', /stored/);
});

test('files dropped into a browser tab: the window says why it cannot use them and offers the path field', async ({ app }) => {
  await app.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['hello'], 'photo.jpg', { type: 'image/jpeg' }));
    const target = document.querySelector('.app')!;
    target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
  });
  const upload = app.getByRole('dialog', { name: 'Upload files' });
  await expect(upload).toBeVisible();
  await expect(upload.getByText(/This browser tab cannot see where the dropped file lives|There is none yet/)).toBeVisible();
});

test('busy queue, keyboard selection, and dark mode', async ({ app }) => {
  const urls = Array.from({ length: 24 }, (_, i) => `${slow.url('slow-archive.tar.zst')}?copy=${i}`);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(urls.join('\n'));
  await app.getByRole('button', { name: 'Start' }).click();
  await expect(app.getByRole('row', { name: /Downloading|Uploading/ })).toHaveCount(4, { timeout: 15_000 });
  await expect(app.getByText('20 waiting')).toBeVisible();
  await app.waitForTimeout(2500); // a few seconds of the speed graph
  await screenshot(app, 'busy-queue');
  const grid = app.getByRole('grid', { name: 'Transfers' });
  await grid.focus();
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('Shift+ArrowDown');
  await app.keyboard.press('Shift+ArrowDown');
  await expect(app.getByRole('row', { selected: true })).toHaveCount(3);
  await expect(app.getByText('3 selected')).toBeVisible();
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'dark');
  await app.getByRole('button', { name: 'Pause all' }).click();
  await expect(app.getByRole('row', { name: /Downloading|Uploading/ })).toHaveCount(0, { timeout: 10_000 });
});

test('a pasted link opens Add with it; filters and search narrow the list; Delete asks before removing', async ({ app, served }) => {
  const name = 'ubuntu-24.04-desktop.iso';
  await app.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text/plain', `see ${text} for the image`);
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, nginx.url(name));
  const dialog = app.getByRole('dialog', { name: 'Add downloads' });
  await expect(dialog.getByLabel('Links')).toHaveValue(nginx.url(name));
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(app.getByRole('row', { name: /ubuntu-24\.04/ }).getByText('Completed')).toBeVisible({ timeout: 20_000 });

  await app.getByRole('tab', { name: /Failed/ }).click();
  await expect(app.getByText('No transfers match.')).toBeVisible();
  await app.getByRole('tab', { name: /Completed/ }).click();
  await expect(app.getByRole('row', { name: /ubuntu-24\.04/ })).toBeVisible();
  await app.getByRole('tab', { name: /All/ }).click();
  await app.getByLabel('Search by name').fill('nothing-like-this');
  await expect(app.getByText('No transfers match.')).toBeVisible();
  await app.getByLabel('Search by name').fill('ubuntu');
  await app.getByRole('row', { name: /ubuntu-24\.04/ }).click();
  await app.getByRole('grid', { name: 'Transfers' }).press('Delete');
  const remove = app.getByRole('dialog', { name: 'Remove this transfer?' });
  await remove.getByRole('checkbox').check();
  await remove.getByRole('button', { name: 'Remove' }).click();
  await expect(app.getByRole('row', { name: /ubuntu-24\.04/ })).toHaveCount(0);
  expect(fs.existsSync(path.join(served.downloads, name)), 'the file goes when asked').toBe(false);
});

test('a waiting transfer can be moved and prioritised from its details, and with Alt+arrows', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByLabel('Transfers at once').fill('1');
  await app.getByRole('button', { name: 'Save' }).click();
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(['first', 'second', 'third'].map((q) => `${slow.url('slow-archive.tar.zst')}?${q}`).join('\n'));
  await app.getByRole('button', { name: 'Start' }).click();
  const rows = app.getByRole('row').filter({ hasText: 'slow-archive' });
  await expect(rows).toHaveCount(3);
  // Which download each row is, in the order shown (queue order): the URL is the name's tooltip.
  const order = async (): Promise<string[]> => (await rows.locator('.name').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''))).map((t) => t.split('?')[1] ?? t);
  await expect.poll(order).toEqual(['first', 'second', 'third']);

  await rows.nth(2).getByRole('button', { name: 'Details' }).click();
  await app.getByRole('complementary').getByRole('button', { name: 'Move to top' }).click();
  await expect.poll(order).toEqual(['third', 'first', 'second']);
  await app.getByRole('button', { name: 'Close details' }).click();

  await rows.nth(2).click();
  await app.getByRole('grid', { name: 'Transfers' }).press('Alt+ArrowUp');
  await expect.poll(order).toEqual(['third', 'second', 'first']);

  // The one moving shows no place to change; a waiting one given high priority goes first.
  await rows.nth(1).getByRole('button', { name: 'Details' }).click();
  await app.getByRole('complementary').getByLabel('Priority').selectOption('High');
  await expect.poll(order).toEqual(['second', 'third', 'first']);
  await app.getByRole('button', { name: 'Pause all' }).click();
  await expect(app.getByRole('row', { name: /Downloading|Uploading/ })).toHaveCount(0, { timeout: 10_000 });
});

test('a server that is busy for a while: the row says it is retrying and why, then completes', async ({ app }) => {
  const url = faults.serve('/busy/dataset.csv', { body: randomBytesOf(120_000, 8), etag: '"d"' }, [
    { status: 503, headers: { 'retry-after': '2' } },
    { status: 503, headers: { 'retry-after': '2' } },
  ]);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(url);
  await app.getByRole('button', { name: 'Start' }).click();
  const row = app.getByRole('row', { name: /dataset\.csv/ });
  await expect(row.getByText(/Retrying: HTTP 503/)).toBeVisible({ timeout: 10_000 });
  await expect(row.getByText('SHA-256 recorded')).toBeVisible({ timeout: 20_000 });
  await expect(row.getByText(/Retrying/)).toHaveCount(0);
});
