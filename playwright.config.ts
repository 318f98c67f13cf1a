import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: the desktop app under Playwright's _electron where an Electron binary
 * exists (it skips with the reason otherwise), and the window in Debian's Chromium against
 * `ferry serve`. Traces are kept for failures only; every test gets its own data directory.
 */
export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  use: { trace: 'retain-on-failure' },
  projects: [
    { name: 'electron', testMatch: 'electron.spec.ts' },
    {
      name: 'chromium',
      testIgnore: 'electron.spec.ts',
      use: {
        browserName: 'chromium',
        // Debian's Chromium; Playwright never downloads a browser here.
        launchOptions: { executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium' },
        viewport: { width: 1280, height: 800 },
      },
    },
  ],
});
