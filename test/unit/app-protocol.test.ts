/**
 * The window's origin, app://ferry (electron/main/app-origin.ts and app-files.ts): what it
 * serves, what it refuses, and where the window may navigate. Real files in a temp folder
 * stand for out/renderer.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { answerAppRequest, containedFile, rendererDir, resolveAppPath } from '../../electron/main/app-files';
import { APP_PAGE_URL, APP_SCHEME_PRIVILEGES, WINDOW_CSP, externalLink, isAppPage } from '../../electron/main/app-origin';
import { tempDir } from '../support/harness';

/** A built window folder, with a secret beside it and a link inside that points at the secret. */
function windowFolder(): { root: string; secret: string } {
  const base = tempDir('ferry-app-');
  const root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'fonts'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Ferry</title>');
  fs.writeFileSync(path.join(root, 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'app.css'), 'body{}');
  fs.writeFileSync(path.join(root, 'fonts', 'inter.woff2'), 'w');
  fs.writeFileSync(path.join(root, 'notes.exe'), 'MZ');
  fs.writeFileSync(path.join(root, '.env'), 'TOKEN=1');
  const secret = path.join(base, 'secret.txt');
  fs.writeFileSync(secret, 'the secret');
  fs.symlinkSync(secret, path.join(root, 'leak.txt'));
  return { root, secret };
}

test('app:// serves the page and its files from the window folder, each with its type and the CSP', async () => {
  const { root } = windowFolder();
  const cases: Array<[url: string, file: string, type: string]> = [
    [APP_PAGE_URL, 'index.html', 'text/html; charset=utf-8'],
    ['app://ferry/', 'index.html', 'text/html; charset=utf-8'],
    ['app://ferry/app.js?v=1#x', 'app.js', 'text/javascript; charset=utf-8'],
    ['app://ferry/app.css', 'app.css', 'text/css; charset=utf-8'],
    ['app://ferry/fonts/inter.woff2', path.join('fonts', 'inter.woff2'), 'font/woff2'],
    ['APP://FERRY/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ];
  for (const [url, file, type] of cases) {
    const answer = await answerAppRequest({ method: 'GET', url }, root);
    assert.equal(answer.status, 200, url);
    assert.equal(answer.headers['Content-Type'], type, url);
    assert.equal(answer.headers['Content-Security-Policy'], WINDOW_CSP);
    assert.equal(answer.headers['X-Content-Type-Options'], 'nosniff');
    assert.deepEqual(answer.body, fs.readFileSync(path.join(root, file)), url);
  }
  const head = await answerAppRequest({ method: 'HEAD', url: APP_PAGE_URL, initiatorOrigin: 'app://ferry' }, root);
  assert.deepEqual([head.status, head.body, head.headers['Content-Length']], [200, null, String(fs.statSync(path.join(root, 'index.html')).size)]);
});

test('app:// refuses every way out of the window folder: dot segments (raw and encoded), backslashes, absolute paths, encoded slashes, NUL', () => {
  const { root } = windowFolder();
  const refused = [
    'app://ferry/../secret.txt',
    'app://ferry/fonts/../../secret.txt',
    'app://ferry/%2e%2e/secret.txt',
    'app://ferry/%2E%2E/secret.txt',
    'app://ferry/.%2e/secret.txt',
    'app://ferry/fonts/%2e%2e%2f%2e%2e%2fsecret.txt',
    'app://ferry/..%5csecret.txt',
    'app://ferry/..\\secret.txt',
    'app://ferry/fonts\\..\\..\\secret.txt',
    'app://ferry//etc/passwd',
    'app://ferry/%2fetc%2fpasswd',
    'app://ferry/C:/Windows/win.ini',
    'app://ferry/C%3A%5CWindows%5Cwin.ini',
    'app://ferry/app.js%00.css',
    'app://ferry/./app.js',
    'app://ferry/.env',
    'app://ferry/fonts/',
    'app://evil/app.js',
    'app://ferry.evil.example/app.js',
    'app://user@ferry/app.js',
    'app://ferry:8080/app.js',
    'file:///etc/passwd',
    'https://ferry/app.js',
  ];
  for (const url of refused) {
    const resolved = resolveAppPath(url, root);
    assert.equal(resolved.ok, false, `${url} is refused`);
    assert.equal(!resolved.ok && resolved.status, 403, `${url}: ${JSON.stringify(resolved)}`);
  }
  assert.deepEqual(resolveAppPath('app://ferry/%E0%A4%A', root), { ok: false, status: 400, reason: 'a malformed escape in "%E0%A4%A"' });
  // A type the window is not built from is not served, even from inside the folder.
  assert.equal(resolveAppPath('app://ferry/notes.exe', root).ok, false);
  assert.deepEqual(resolveAppPath('app://ferry/app.js', root), { ok: true, file: path.join(root, 'app.js'), mime: 'text/javascript; charset=utf-8' });
});

test('app:// answers: a link out of the folder is not found, a missing file is 404, only GET and HEAD, only for the app itself', async () => {
  const { root, secret } = windowFolder();
  const leak = await answerAppRequest({ method: 'GET', url: 'app://ferry/leak.txt' }, root);
  assert.equal(leak.status, 404);
  assert.doesNotMatch(leak.body!.toString(), /the secret/);
  assert.equal(await containedFile(root, path.join(root, 'leak.txt')), null);
  assert.equal(await containedFile(root, secret), null);
  assert.equal(await containedFile(root, path.join(root, 'fonts')), null, 'a folder is not a file');
  assert.equal(await containedFile(root, path.join(root, 'app.js')), fs.realpathSync(path.join(root, 'app.js')));
  assert.equal((await answerAppRequest({ method: 'GET', url: 'app://ferry/missing.js' }, root)).status, 404);
  const traversal = await answerAppRequest({ method: 'GET', url: 'app://ferry/%2e%2e/secret.txt' }, root);
  assert.equal(traversal.status, 403);
  assert.equal(traversal.headers['Content-Security-Policy'], WINDOW_CSP);
  const post = await answerAppRequest({ method: 'POST', url: APP_PAGE_URL }, root);
  assert.deepEqual([post.status, post.headers.Allow], [405, 'GET, HEAD']);
  const foreign = await answerAppRequest({ method: 'GET', url: 'app://ferry/app.js', initiatorOrigin: 'https://evil.example' }, root);
  assert.equal(foreign.status, 403);
});

test('the window folder is out/renderer beside the compiled main process', () => {
  const mainDir = path.join('/opt', 'Ferry', 'resources', 'app.asar', 'out', 'electron', 'main');
  assert.equal(rendererDir(mainDir), path.join('/opt', 'Ferry', 'resources', 'app.asar', 'out', 'renderer'));
});

test('the app scheme is privileged as standard and secure, and nothing more', () => {
  assert.deepEqual(APP_SCHEME_PRIVILEGES, { scheme: 'app', privileges: { standard: true, secure: true } });
  assert.match(WINDOW_CSP, /default-src 'none'/);
  assert.match(WINDOW_CSP, /script-src 'self'(;|$)/);
  assert.match(WINDOW_CSP, /frame-ancestors 'none'/);
});

test('navigation: only the app page itself; links out go to the browser, http(s) only', () => {
  for (const url of [APP_PAGE_URL, 'app://ferry/index.html#settings']) assert.equal(isAppPage(url), true, url);
  for (const url of [
    'app://ferry/',
    'app://ferry/other.html',
    'app://ferry/index.html?x=1',
    'app://evil/index.html',
    'app://ferry.evil.example/index.html',
    'app://user@ferry/index.html',
    'file:///opt/Ferry/resources/app.asar/out/renderer/index.html',
    'https://example.com/',
    'javascript:alert(1)',
    'not a url',
  ]) {
    assert.equal(isAppPage(url), false, url);
  }
  assert.equal(externalLink('https://example.com/a b'), 'https://example.com/a%20b');
  assert.equal(externalLink('http://example.com/'), 'http://example.com/');
  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'app://ferry/index.html', 'smb://host/share', 'https://example.com@evil.example/', 'nope']) {
    assert.equal(externalLink(url), null, url);
  }
});
