/**
 * Fixtures for the window in a real browser: every test gets its own data directory and
 * download folder and its own `ferry serve`, and a page opened on the URL it printed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { startServe } from '../support/service';

export const ROOT = path.join(__dirname, '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

export interface Served {
  url: string;
  dataDir: string;
  downloads: string;
  stop(): Promise<number | null>;
}

/** `ferry serve` on a data directory and download folder of its own. */
export async function serve(): Promise<Served> {
  if (!fs.existsSync(path.join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('the window is not built: run npm run build first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-data-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-dl-'));
  // A config home of its own, with Chromium "used": Settings' browser section reads and writes there, never in the real one.
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-config-'));
  fs.mkdirSync(path.join(config, 'chromium'));
  const running = await startServe(dataDir, [], { XDG_DOWNLOAD_DIR: downloads, XDG_CONFIG_HOME: config });
  return { url: running.url.href, dataDir, downloads, stop: running.stop };
}

export const test = base.extend<{ served: Served; app: Page }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  served: async ({}, use) => {
    const served = await serve();
    await use(served);
    await served.stop();
  },
  app: async ({ page, served }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(served.url);
    await expect(page.getByRole('grid', { name: 'Transfers' })).toBeVisible();
    await use(page);
    // A CSP violation or an uncaught error fails the test that caused it.
    expect(problems, problems.join('\n')).toEqual([]);
  },
});

/** The screenshots the README shows; only `FERRY_SCREENSHOTS=docs` rewrites them. */
export const DOCS_SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');

/**
 * Saves a screenshot under test-results/screenshots; one marked `docs` is also copied to
 * docs/screenshots when FERRY_SCREENSHOTS=docs (so an ordinary run never rewrites committed files).
 */
export async function screenshot(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Transitions finished (a bar still growing to 100% is not the state shown), moving bars still.
  await page.screenshot({ path: file, animations: 'disabled' });
  if (options.docs && process.env.FERRY_SCREENSHOTS === 'docs') {
    fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
  }
}

export { expect };
