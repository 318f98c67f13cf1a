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
