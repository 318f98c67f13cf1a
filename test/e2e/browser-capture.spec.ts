/**
 * Issue 14's acceptance: Ferry's unpacked extension in Debian's Chromium (a persistent
 * context, headless), the host manifest written by `ferry browser install --browser
 * chromium` under a temporary XDG_CONFIG_HOME, `ferry serve` running. A click on a link to
 * a file that needs the page's session cookie: the browser's download is cancelled, the
 * server sees Ferry's request with the cookie and the referrer, and the file lands exact in
 * Ferry's download folder. Then the context menu, the bypass key, capture turned off, and
 * Ferry not running (the browser downloads as usual and the popup says why).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, type Page, type Worker, chromium } from '@playwright/test';
import { CHROMIUM_EXTENSION_ID } from '../../electron/common/browser-capture';
import { connectLocalDoor } from '../../electron/engine/door/local-door';
import { runCli } from '../support/cli';
import { type ServeProcess, startServe } from '../support/service';
import { type SeenRequest, type SessionSite, startSessionSite } from '../support/session-site';
import { ROOT, expect, test } from './fixtures';

const EXTENSION = path.join(ROOT, 'out', 'browser', 'chromium');
const SESSION = `session=${crypto.randomBytes(10).toString('hex')}`;
const files = new Map<string, Buffer>();
for (const name of ['clicked.bin', 'menu.bin', 'sel-1.bin', 'sel-2.bin', 'bypass.bin', 'off.bin', 'unset.bin', 'again.bin', 'alone.bin']) files.set(name, crypto.randomBytes(1 << 20));

let site: SessionSite;
let seen: SeenRequest[] = [];
let origin: string;

const temp = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const config = temp('ferry-e2e-xdg-');
const data = temp('ferry-e2e-bdata-');
const downloads = temp('ferry-e2e-bdl-');
let serve: ServeProcess | null = null;
let context: BrowserContext;
let worker: Worker;
let page: Page;

const pageHtml = (): string => `<!doctype html><meta charset="utf-8"><title>files</title>
<p><a id="clicked" href="/files/clicked.bin">a file</a> <a id="bypass" href="/files/bypass.bin">another</a>
<a id="off" href="/files/off.bin">off</a> <a id="alone" href="/files/alone.bin">alone</a>
<a id="unset" href="/files/unset.bin">unset</a> <a id="again" href="/files/again.bin">again</a></p>
<p id="list">Both: <a href="/files/sel-1.bin">one</a> and <a href="/files/sel-2.bin">two</a>.</p>`;

test.describe.configure({ mode: 'serial' });
test.skip(!fs.existsSync(path.join(EXTENSION, 'manifest.json')), 'the extension is not built: run npm run build first');

test.beforeAll(async () => {
  // The browser's own request for a file Ferry takes is slow: still moving when the extension cancels it.
  site = await startSessionSite({ session: SESSION, page: pageHtml, files, slow: (name, req) => (name === 'clicked.bin' || name === 'again.bin') && req.headers['sec-fetch-mode'] !== undefined });
  ({ seen, origin } = site);

  const install = await runCli(['browser', 'install', '--browser', 'chromium', '--data-dir', data, '--json'], { XDG_CONFIG_HOME: config });
  expect(install.code, install.stderr).toBe(0);
  expect(install.events).toEqual([{ type: 'installed', browser: 'chromium', manifest: path.join(config, 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json') }]);
  // Serve sees the same browsers (XDG_CONFIG_HOME) as the test: its Settings set them up too.
  serve = await startServe(data, [], { XDG_DOWNLOAD_DIR: downloads, XDG_CONFIG_HOME: config });

  context = await chromium.launchPersistentContext(path.join(config, 'chromium'), {
    executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    env: { ...process.env, XDG_CONFIG_HOME: config },
    args: [`--load-extension=${EXTENSION}`, `--disable-extensions-except=${EXTENSION}`],
  });
  worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  expect(worker.url()).toBe(`chrome-extension://${CHROMIUM_EXTENSION_ID}/background.js`);
  page = await context.newPage();
  await page.goto(`${origin}/page.html`);
});

test.afterAll(async () => {
  await context?.close();
  await serve?.stop();
  site?.close();
});

const ferrysRequests = (name: string): SeenRequest[] => seen.filter((s) => s.path === `/files/${name}` && !s.fromBrowser);
const landed = (name: string): Promise<void> =>
  expect.poll(() => fs.existsSync(path.join(downloads, name)) && fs.readFileSync(path.join(downloads, name)).equals(files.get(name)!), { timeout: 20_000 }).toBe(true);

test('a clicked download is cancelled in the browser and lands exact in Ferry\'s folder, fetched with the page\'s cookie and referrer', async () => {
  const download = page.waitForEvent('download');
  await page.click('#clicked');
  expect(await (await download).failure()).toBe('canceled');
  await landed('clicked.bin');
  const ferry = ferrysRequests('clicked.bin');
  expect(ferry.length).toBe(1);
  expect(ferry[0]).toMatchObject({ cookie: SESSION, referer: `${origin}/page.html` });
  // Erased from the browser's list too.
  const listed = await worker.evaluate(async (url) => {
    const api = (globalThis as unknown as { chrome: { downloads: { search(q: object): Promise<unknown[]> } } }).chrome;
    return (await api.downloads.search({ url })).length;
  }, `${origin}/files/clicked.bin`);
  expect(listed).toBe(0);
  // The transfer's details say it came from the browser, from this page.
  const door = (await connectLocalDoor(data))!;
  try {
    const snapshot = await door.snapshot();
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const row = snapshot.value.transfers.find((t) => t.name === 'clicked.bin')!;
    expect(row.dir).toBe(downloads);
    const details = await door.details({ id: row.id });
    if (!details.ok) throw new Error(details.error.message);
    expect(details.value.history.find((h) => h.kind === 'captured')?.detail).toMatchObject({ from: 'browser', page: `${origin}/page.html` });
  } finally {
    door.dispose();
  }
  expect(serve!.stderr()).not.toContain(SESSION.split('=')[1]);
});

test('the context menu sends a link, and every link of a selection, to Ferry (called through the service worker)', async () => {
  const reply = await worker.evaluate(
    ({ linkUrl, pageUrl }) => (globalThis as unknown as { ferry: { onMenu(info: object): Promise<unknown> } }).ferry.onMenu({ menuItemId: 'ferry-link', linkUrl, pageUrl }),
    { linkUrl: `${origin}/files/menu.bin`, pageUrl: `${origin}/page.html` },
  );
  expect(reply).toMatchObject({ ok: true });
  await landed('menu.bin');
  expect(ferrysRequests('menu.bin')[0]).toMatchObject({ cookie: SESSION, referer: `${origin}/page.html` });

  await page.evaluate(() => {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById('list')!);
    window.getSelection()!.removeAllRanges();
    window.getSelection()!.addRange(range);
  });
  const selection = await worker.evaluate(async ({ pageUrl }) => {
    const g = globalThis as unknown as { chrome: { tabs: { query(q: object): Promise<Array<{ id: number }>> } }; ferry: { onMenu(info: object, tab: object): Promise<unknown> } };
    const [tab] = await g.chrome.tabs.query({ url: pageUrl });
    return g.ferry.onMenu({ menuItemId: 'ferry-selection', pageUrl, frameId: 0 }, tab!);
  }, { pageUrl: `${origin}/page.html` });
  expect(selection).toMatchObject({ ok: true });
  await landed('sel-1.bin');
  await landed('sel-2.bin');
});

/** A download the browser keeps: it completes there, exact, and Ferry never asked for it. */
async function browserKeeps(click: () => Promise<void>, name: string): Promise<void> {
  const download = page.waitForEvent('download');
  await click();
  const kept = await download;
  expect(await kept.failure()).toBeNull();
  expect(fs.readFileSync((await kept.path())!).equals(files.get(name)!)).toBe(true);
  // Time for a capture that would come late (the host answers in well under a second).
  await page.waitForTimeout(1500);
  expect(ferrysRequests(name)).toEqual([]);
  expect(fs.existsSync(path.join(downloads, name))).toBe(false);
}

test('with the bypass key held, the browser keeps the download', async () => {
  await browserKeeps(() => page.click('#bypass', { modifiers: ['Alt'] }), 'bypass.bin');
});

test('the popup lists the transfers with their verdicts and opens Ferry, whose details say the file came from the browser; with capture turned off there, the browser keeps the download', async () => {
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${CHROMIUM_EXTENSION_ID}/popup.html`);
  await expect(popup.getByRole('list', { name: 'Transfers' }).getByText('clicked.bin')).toBeVisible();
  await expect(popup.getByText('SHA-256 recorded').first()).toBeVisible();
  // Open Ferry: the window of ferry serve, where the details say where the file came from.
  const opened = context.waitForEvent('page');
  await popup.getByRole('button', { name: 'Open Ferry' }).click();
  const app = await opened;
  await app.getByRole('row', { name: /clicked\.bin/ }).getByRole('button', { name: 'Details' }).click();
  await expect(app.getByRole('complementary', { name: 'Details of clicked.bin' }).getByTestId('captured-from')).toHaveText(`Captured from the browser on the page ${origin}/page.html`);
  await app.close();
  await popup.getByLabel('Capture downloads').uncheck();
  await popup.close();
  await expect.poll(() => worker.evaluate(async () => {
    const g = globalThis as unknown as { chrome: { storage: { local: { get(k: string): Promise<Record<string, { enabled?: boolean }>> } } } };
    return (await g.chrome.storage.local.get('rules')).rules?.enabled;
  })).toBe(false);
  await browserKeeps(() => page.click('#off'), 'off.bin');
  // On again for what follows.
  await worker.evaluate(async () => {
    const g = globalThis as unknown as { chrome: { storage: { local: { set(v: object): Promise<void> } } } };
    await g.chrome.storage.local.set({ rules: { enabled: true } });
  });
});

test('Settings shows which browsers reach Ferry; removed there, the browser keeps its downloads; set up again, capture works', async () => {
  const manifest = path.join(config, 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json');
  const app = await context.newPage();
  await app.goto(serve!.url.href);
  await app.getByRole('button', { name: 'Settings' }).click();
  const browsers = app.getByRole('group', { name: 'Browser extension' });
  await expect(browsers.getByRole('list', { name: 'Browsers' })).toHaveText('Chromium: reaches Ferry');
  await browsers.getByRole('button', { name: 'Remove from browsers' }).click();
  await expect(browsers.getByRole('list', { name: 'Browsers' })).toHaveText('Chromium: not set up');
  expect(fs.existsSync(manifest)).toBe(false);
  await browserKeeps(() => page.click('#unset'), 'unset.bin');

  await browsers.getByRole('button', { name: 'Set up browsers' }).click();
  await expect(browsers.getByRole('list', { name: 'Browsers' })).toHaveText('Chromium: reaches Ferry');
  expect(JSON.parse(fs.readFileSync(manifest, 'utf8'))).toMatchObject({ name: 'app.ferry.host', allowed_origins: [`chrome-extension://${CHROMIUM_EXTENSION_ID}/`] });
  await app.close();
  const download = page.waitForEvent('download');
  await page.click('#again');
  expect(await (await download).failure()).toBe('canceled');
  await landed('again.bin');
});

test('with Ferry not running, the browser downloads as usual and the popup says why', async () => {
  await serve!.stop();
  serve = null;
  await browserKeeps(() => page.click('#alone'), 'alone.bin');
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${CHROMIUM_EXTENSION_ID}/popup.html`);
  await expect(popup.getByRole('alert')).toContainText(`Ferry could not take ${origin}/files/alone.bin, so the browser downloaded it: Ferry is not running`);
  await expect(popup.getByText('Ferry is not reachable; downloads stay in the browser.')).toBeVisible();
  await popup.getByRole('button', { name: 'Open Ferry' }).click();
  await expect(popup.getByRole('status')).toHaveText(/^Ferry could not be opened: Ferry is not running/);
});
