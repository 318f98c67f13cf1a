/**
 * The screenshots of the main states for the README and a download page, at 1280×800 in
 * light and dark: empty, verified, downloads moving, details open, mismatch, failed, settings.
 * An ordinary run saves them under test-results/screenshots; `FERRY_SCREENSHOTS=docs npx
 * playwright test test/e2e/screenshots.spec.ts` also rewrites docs/screenshots.
 */
import * as fs from 'node:fs';
import { NEEDS_NGINX } from '../support/nginx';
import { expect, screenshot, test } from './fixtures';
import { FAILED, FINISHED, MISMATCH, MOVING, type SceneServers, addFailed, addFinished, addMismatch, addMoving, rowNamed, startSceneServers } from './scenes';

let servers: SceneServers;
test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));
test.beforeAll(async () => {
  servers = await startSceneServers('1m');
});
test.afterAll(async () => {
  await servers.stop();
});

for (const scheme of ['light', 'dark'] as const) {
  test.describe(scheme, () => {
    test.use({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });

    test(`the main states, ${scheme}`, async ({ app, served }) => {
      test.setTimeout(120_000);
      const shot = async (name: string): Promise<void> => {
        // No hover or focus ring left on the last button clicked.
        await app.mouse.move(640, 790);
        await app.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await screenshot(app, `${name}-${scheme}`, { docs: true });
      };
      const details = (name: string) => app.getByRole('complementary', { name: `Details of ${name}` });
      const open = async (name: string): Promise<void> => {
        await rowNamed(app, name).getByRole('button', { name: 'Details' }).click();
        await expect(details(name).getByRole('heading', { name: 'Integrity' })).toBeVisible();
      };
      const dismissNotices = async (): Promise<void> => {
        const close = app.locator('.notices').getByRole('button', { name: 'Dismiss' });
        // Notices also fade by themselves: one may be gone between counting and clicking.
        while ((await close.count()) > 0) await close.first().click({ timeout: 1000 }).catch(() => undefined);
        await expect(close).toHaveCount(0);
      };

      await expect(app.getByText('Nothing moving yet')).toBeVisible();
      await shot('empty');

      await addFinished(app, servers);
      await dismissNotices();
      await shot('verified');

      // The mismatch and the failure come first: behind four moving downloads they would wait.
      await addMismatch(app, servers);
      await addFailed(app, servers);
      await addMoving(app, servers);
      // A few seconds of the speed graph, and speeds that have settled.
      await app.waitForTimeout(6000);
      await expect(rowNamed(app, MOVING[0]!).getByText(/left$/)).toBeVisible();
      await dismissNotices();
      await shot('moving');

      await open(MOVING[0]!);
      await expect(details(MOVING[0]!).getByText(/If-Range/)).toBeVisible();
      await shot('details');

      await open(MISMATCH);
      await expect(details(MISMATCH).getByTestId('actual-digest')).toBeVisible();
      await dismissNotices();
      await shot('mismatch');

      await open(FAILED);
      await expect(details(FAILED).getByText('What went wrong')).toBeVisible();
      await dismissNotices();
      await shot('failed');

      await app.getByRole('button', { name: 'Close details' }).click();
      await app.getByRole('button', { name: 'Settings' }).click();
      await expect(app.getByRole('dialog', { name: 'Settings' })).toBeVisible();
      await shot('settings');
      await app.keyboard.press('Escape');

      await expect(rowNamed(app, FINISHED.verified).getByText('✓ Verified')).toBeVisible();
      await app.getByRole('button', { name: 'Pause all' }).click();
      fs.rmSync(served.downloads, { recursive: true, force: true });
    });
  });
}
