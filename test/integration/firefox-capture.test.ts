/**
 * Issue 14 in Firefox: Ferry's extension (out/browser/firefox) in stock Firefox (Debian's
 * firefox-esr, headless), installed as a temporary add-on over WebDriver BiDi, the host
 * manifest written by `ferry browser install --browser firefox` under a temporary HOME
 * (Firefox reads ~/.mozilla/native-messaging-hosts/), `ferry serve` running. A click on a
 * link to a file that needs the page's session cookie: the browser's download is stopped
 * and never completes, the server sees Ferry's request with the cookie and the referrer,
 * and the file lands exact in Ferry's download folder. With Ferry not running, the browser
 * downloads the file itself, exact.
 *
 * Playwright cannot drive stock Firefox (only its own patched build), so this is a node test
 * that speaks BiDi itself (test/support/firefox.ts). Without a Firefox it is skipped, saying why.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { FIREFOX_EXTENSION_ID } from '../../electron/common/browser-capture';
import { connectLocalDoor } from '../../electron/engine/door/local-door';
import { CLI, runCli } from '../support/cli';
import { type Firefox, click, findFirefox, launchFirefox } from '../support/firefox';
import { tempDir } from '../support/harness';
import { type ServeProcess, startServe, until } from '../support/service';
import { type SeenRequest, type SessionSite, startSessionSite } from '../support/session-site';

const EXTENSION = path.join(path.dirname(CLI), '..', '..', 'browser', 'firefox');
const FIREFOX = findFirefox();
const SKIP = !FIREFOX
  ? 'no Firefox here (install Debian\'s firefox-esr, or set FERRY_FIREFOX): the Firefox capture test does not run'
  : !fs.existsSync(path.join(EXTENSION, 'manifest.json'))
    ? 'the Firefox extension is not built: run npm run build first'
    : false;
if (SKIP) console.log(`firefox-capture: skipped: ${SKIP}`);

const SESSION = `session=${crypto.randomBytes(10).toString('hex')}`;
const files = new Map<string, Buffer>();
for (const name of ['clicked.bin', 'alone.bin']) files.set(name, crypto.randomBytes(1 << 20));

let site: SessionSite | null = null;
let seen: SeenRequest[] = [];
let origin: string;
let home: string;
let data: string;
let ferryFolder: string;
let browserFolder: string;
let serve: ServeProcess | null = null;
let firefox: Firefox | null = null;

const pageHtml = `<!doctype html><meta charset="utf-8"><title>files</title>
<p><a id="clicked" href="/files/clicked.bin">a file</a> <a id="alone" href="/files/alone.bin">alone</a></p>`;

before(async () => {
  if (SKIP) return;
  // The browser's own request for a clicked file is slow: still moving when the extension holds it.
  site = await startSessionSite({ session: SESSION, page: () => pageHtml, files, slow: (_name, req) => req.headers['sec-fetch-mode'] === 'navigate' });
  ({ seen, origin } = site);

  home = tempDir('ferry-ff-home-');
  data = tempDir('ferry-ff-data-');
  ferryFolder = tempDir('ferry-ff-ferrydl-');
  browserFolder = tempDir('ferry-ff-browserdl-');
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  const install = await runCli(['browser', 'install', '--browser', 'firefox', '--data-dir', data, '--json'], env);
  assert.equal(install.code, 0, install.stderr);
  const manifest = path.join(home, '.mozilla', 'native-messaging-hosts', 'app.ferry.host.json');
  assert.deepEqual(install.events, [{ type: 'installed', browser: 'firefox', manifest }]);
  assert.deepEqual(JSON.parse(fs.readFileSync(manifest, 'utf8')).allowed_extensions, [FIREFOX_EXTENSION_ID]);
  serve = await startServe(data, [], { ...env, XDG_DOWNLOAD_DIR: ferryFolder });

  firefox = await launchFirefox({ executable: FIREFOX!, home, profile: tempDir('ferry-ff-profile-'), downloads: browserFolder });
  // A temporary add-on, as about:debugging loads one; Firefox grants its host permissions.
  assert.deepEqual(await firefox.send('webExtension.install', { extensionData: { type: 'path', path: EXTENSION } }), { extension: FIREFOX_EXTENSION_ID });
  await firefox.send('session.subscribe', { events: ['browsingContext.downloadWillBegin', 'browsingContext.downloadEnd'] });
  await firefox.send('browsingContext.navigate', { context: firefox.context, url: `${origin}/page.html`, wait: 'complete' });
});

after(async () => {
  await firefox?.close();
  await serve?.stop();
  site?.close();
});

const ferrysRequests = (name: string): SeenRequest[] => seen.filter((s) => s.path === `/files/${name}` && !s.fromBrowser);
const browsersRequests = (name: string): SeenRequest[] => seen.filter((s) => s.path === `/files/${name}` && s.fromBrowser);
const exact = (folder: string, name: string): boolean => fs.existsSync(path.join(folder, name)) && fs.readFileSync(path.join(folder, name)).equals(files.get(name)!);
const downloadEvent = (method: string, name: string): Record<string, unknown> | undefined =>
  firefox!.events.find((e) => e.method === `browsingContext.${method}` && e.params.url === `${origin}/files/${name}`)?.params;
const why = (): string => `\nrequests: ${JSON.stringify(seen)}\nevents: ${JSON.stringify(firefox?.events)}\nFirefox said:\n${firefox?.output().slice(-3000)}\nferry serve said:\n${serve?.stderr().slice(-2000)}`;

test('a download clicked in Firefox is stopped there and lands exact in Ferry\'s folder, fetched with the page\'s cookie and referrer', { skip: SKIP, timeout: 60_000 }, async () => {
  await click(firefox!, firefox!.context, '#clicked');
  await until(() => exact(ferryFolder, 'clicked.bin'), `clicked.bin in Ferry's folder${why()}`, 30_000);
  const ferry = ferrysRequests('clicked.bin');
  assert.equal(ferry.length, 1);
  assert.equal(ferry[0]!.cookie, SESSION);
  assert.equal(ferry[0]!.referer, `${origin}/page.html`);
  // The browser began the download (BiDi saw it), and its one request went away unfinished:
  // no second request resumed it, and nothing of it is left in the browser's folder.
  assert.equal(downloadEvent('downloadWillBegin', 'clicked.bin')?.suggestedFilename, 'clicked.bin');
  assert.equal(downloadEvent('downloadEnd', 'clicked.bin')?.status, 'canceled');
  await until(() => browsersRequests('clicked.bin').every((s) => s.closed), 'the browser\'s request to end');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(browsersRequests('clicked.bin').length, 1);
  assert.deepEqual(fs.readdirSync(browserFolder).filter((f) => f.startsWith('clicked')), []);

  // The transfer's details say it came from the browser, from this page.
  const door = (await connectLocalDoor(data))!;
  try {
    const snapshot = await door.snapshot();
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const row = snapshot.value.transfers.find((t) => t.name === 'clicked.bin')!;
    assert.equal(row.dir, ferryFolder);
    const details = await door.details({ id: row.id });
    if (!details.ok) throw new Error(details.error.message);
    assert.deepEqual(
      { from: details.value.history.find((h) => h.kind === 'captured')?.detail?.from, page: details.value.history.find((h) => h.kind === 'captured')?.detail?.page },
      { from: 'browser', page: `${origin}/page.html` },
    );
  } finally {
    door.dispose();
  }
  assert.ok(!serve!.stderr().includes(SESSION.split('=')[1]!), 'the session cookie is never logged');
});

test('with Ferry not running, Firefox downloads the file itself, exact, with the cookie and the referrer', { skip: SKIP, timeout: 60_000 }, async () => {
  await serve!.stop();
  serve = null;
  await click(firefox!, firefox!.context, '#alone');
  await until(() => exact(browserFolder, 'alone.bin'), `alone.bin in the browser's folder${why()}`, 30_000);
  assert.deepEqual(ferrysRequests('alone.bin'), []);
  assert.equal(fs.existsSync(path.join(ferryFolder, 'alone.bin')), false);
  // Firefox could not resume the download it held for Ferry (it had kept no bytes): the
  // extension started it again, and that request too carried the session and the page.
  const requests = browsersRequests('alone.bin');
  assert.equal(requests.length, 2);
  const last = requests[1]!;
  assert.equal(last.finished, true);
  assert.equal(last.cookie, SESSION);
  assert.equal(last.referer, `${origin}/page.html`);
});
