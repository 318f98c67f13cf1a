/**
 * A first day with Ferry in a browser tab (issue 16, should fix): what was just added is
 * shown, Settings says everything wrong at once, Remove says what it will do, and Upload
 * explains once why it wants typed paths.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { expect, test } from './fixtures';

const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-first-'));
const OLD = Array.from({ length: 30 }, (_, i) => `old-${String(i).padStart(2, '0')}.bin`);
for (const name of [...OLD, 'fresh.bin', 'calm.bin']) fs.writeFileSync(path.join(www, name), Buffer.alloc(2000, name.length));

let nginx: Nginx;

test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));
test.beforeAll(async () => {
  nginx = await startNginx(www);
});
test.afterAll(async () => {
  await nginx.stop();
});

async function addLinks(app: Page, names: string[]): Promise<void> {
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Add downloads' });
  await dialog.getByLabel('Links').fill(names.map((n) => nginx.url(n)).join('\n'));
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toBeHidden();
}

test('a link added to a long list is scrolled to and marked for a moment; Newest first puts it on top', async ({ app }) => {
  await addLinks(app, OLD);
  await expect(app.getByText('30 completed')).toBeVisible({ timeout: 20_000 });
  const scroller = app.locator('.scroller');
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));

  await addLinks(app, ['fresh.bin']);
  const fresh = app.getByRole('row', { name: /fresh\.bin/ });
  await expect(fresh).toHaveClass(/row-new/);
  await expect(fresh).toBeInViewport();
  // Inside the list's scroll area and below its sticky column header, not hidden under it.
  const [row, list, header] = await Promise.all([fresh.boundingBox(), scroller.boundingBox(), app.locator('.row.header').boundingBox()]);
  expect(row!.y).toBeGreaterThanOrEqual(header!.y + header!.height - 1);
  expect(row!.y + row!.height).toBeLessThanOrEqual(list!.y + list!.height + 1);
  expect(await fresh.evaluate((el) => getComputedStyle(el).animationName)).toBe('row-new');
  await expect(fresh).not.toHaveClass(/row-new/, { timeout: 6000 });

  await app.getByLabel('Sort').selectOption({ label: 'Newest first' });
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  // The thirty were added in one go (most share a millisecond): the last of them comes next.
  await expect.poll(() => app.locator('.rows .row .name').evaluateAll((els) => els.slice(0, 3).map((e) => e.textContent))).toEqual(['fresh.bin', 'old-29.bin', 'old-28.bin']);
});

test('with reduced motion the mark of a new row holds still instead of fading', async ({ app }) => {
  await app.emulateMedia({ reducedMotion: 'reduce' });
  await addLinks(app, ['calm.bin']);
  const calm = app.getByRole('row', { name: /calm\.bin/ });
  await expect(calm).toHaveClass(/row-new/);
  const style = await calm.evaluate((el) => ({ animation: getComputedStyle(el).animationName, background: getComputedStyle(el).backgroundColor }));
  expect(style.animation).toBe('none');
  expect(style.background).not.toBe('rgba(0, 0, 0, 0)');
  await expect(calm).not.toHaveClass(/row-new/, { timeout: 6000 });
  expect(await calm.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(style.background);
});

test('Settings marks every wrong field at once beside it; Add a destination from Upload starts in the new Name field', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings' }).click();
  const settings = app.getByRole('dialog', { name: 'Settings' });
  await settings.getByLabel('Transfers at once').fill('0');
  await settings.getByLabel('Stall timeout (seconds)').fill('soon');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings.getByRole('alert')).toHaveText('2 fields need a change: see the message beside each.');
  const active = settings.getByLabel('Transfers at once');
  await expect(active).toHaveAttribute('aria-invalid', 'true');
  await expect(active).toHaveAccessibleDescription('Give a whole number from 1 to 64.');
  await expect(settings.getByLabel('Stall timeout (seconds)')).toHaveAccessibleDescription('Give a whole number from 5 to 3600.');
  await expect(active).toBeFocused();
  // Beside its field: the message sits just under the input, in the same column.
  const [input, message] = await Promise.all([active.boundingBox(), settings.getByText('Give a whole number from 1 to 64.').boundingBox()]);
  expect(message!.y).toBeGreaterThanOrEqual(input!.y + input!.height - 1);
  expect(message!.y).toBeLessThan(input!.y + input!.height + 24);
  expect(message!.x + message!.width).toBeCloseTo(input!.x + input!.width, -1);
  await app.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  await app.getByRole('dialog', { name: 'Upload files' }).getByRole('button', { name: 'Add a destination' }).click();
  await expect(settings.getByLabel('Name')).toBeFocused();
  await app.keyboard.type('Home server');
  await settings.getByLabel('URL').fill('https://tus.example.com/files/');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('dialog', { name: 'Upload files' }).getByLabel('Destination')).toHaveValue(/.+/);
  // The Add dialog starts in its Links field too (the modal dialog used to put the focus on Close).
  await app.keyboard.press('Escape');
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(app.getByRole('dialog', { name: 'Add downloads' }).getByLabel('Links')).toBeFocused();
});

test('Remove on a finished download: the button says it keeps the file, and it does', async ({ app, served }) => {
  await addLinks(app, ['fresh.bin']);
  const row = app.getByRole('row', { name: /fresh\.bin/ });
  await expect(row.getByText('Completed')).toBeVisible({ timeout: 20_000 });
  await row.click();
  await app.getByRole('grid', { name: 'Transfers' }).press('Delete');
  const remove = app.getByRole('dialog', { name: 'Remove this transfer?' });
  await expect(remove.getByText('This download is finished: its file stays on disk unless you tick the box below.')).toBeVisible();
  await expect(remove.getByRole('button', { name: 'Keep in list' })).toBeFocused();
  await remove.getByRole('checkbox', { name: 'Also delete the downloaded file from disk' }).check();
  await expect(remove.getByRole('button', { name: 'Remove and delete the file' })).toBeVisible();
  await remove.getByRole('checkbox').uncheck();
  await remove.getByRole('button', { name: 'Remove from list, keep the file' }).click();
  await expect(row).toHaveCount(0);
  expect(fs.existsSync(path.join(served.downloads, 'fresh.bin')), 'the file stays when kept').toBe(true);
});

test('Upload in a browser tab: an example path, and why paths are typed said once, even across a reload', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByRole('button', { name: 'Add destination' }).click();
  await app.keyboard.type('Home server');
  await app.getByLabel('URL').fill('https://tus.example.com/files/');
  await app.getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('dialog', { name: 'Settings' })).toBeHidden();

  const upload = app.getByRole('dialog', { name: 'Upload files' });
  const note = upload.getByText(/This browser tab cannot see where your files live/);
  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(upload.getByLabel(/Files or folders/)).toHaveAttribute('placeholder', '/home/you/Videos/clip.mp4');
  await expect(upload.getByLabel(/Files or folders/)).toBeFocused();
  await expect(note).toBeVisible();
  await app.keyboard.press('Escape');
  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(upload).toBeVisible();
  await expect(note).toHaveCount(0);
  await app.reload();
  await expect(app.getByRole('grid', { name: 'Transfers' })).toBeVisible();
  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(upload.getByLabel('Destination')).toHaveValue(/.+/);
  await expect(note).toHaveCount(0);
});
