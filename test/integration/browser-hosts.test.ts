/**
 * The desktop app registers Ferry's extension host at its first start (DESIGN.md section
 * 11) with every browser found, and at later starts only keeps the launcher pointing at the
 * app (an update or an AppImage moves it): a browser the person removed in Settings stays removed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { type HostMachine, browserHostStates, registerAtStart, uninstallBrowserHosts } from '../../electron/engine/browser-host/hosts';
import { browserHostsOf, setBrowserHosts } from '../../electron/engine/service/browser-hosts';
import { tempDir } from '../support/harness';

function machine(): HostMachine {
  const home = tempDir('bh-home-');
  const config = path.join(home, '.config');
  fs.mkdirSync(path.join(config, 'chromium'), { recursive: true }); // Chromium has been used; no other browser has
  return { platform: 'linux', folders: { home, xdgConfigHome: config } };
}

test('first start: every browser found gets the manifest; later starts follow the app and respect a removal', () => {
  const m = machine();
  const data = tempDir('bh-data-');
  const v1 = ['/tmp/.mount_Ferry1/ferry', '--native-host'];
  assert.deepEqual(registerAtStart(data, v1, m), ['chromium']);
  const manifest = path.join(m.folders.xdgConfigHome!, 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json');
  const launcher = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { path: string }).path;
  assert.equal(launcher, path.join(data, 'native-host', 'ferry-native-host'));
  assert.match(fs.readFileSync(launcher, 'utf8'), /exec '\/tmp\/\.mount_Ferry1\/ferry' '--native-host' --data-dir /);
  assert.deepEqual(
    browserHostStates(data, m).filter((b) => b.found || b.installed).map(({ browser, installed }) => ({ browser, installed })),
    [{ browser: 'chromium', installed: true }],
  );
  assert.ok(!fs.existsSync(path.join(m.folders.home, '.mozilla')), 'a browser never used gets nothing');

  // Firefox is used later: a later start does not register it on its own (Settings offers it).
  fs.mkdirSync(path.join(m.folders.home, '.mozilla'), { recursive: true });
  const v2 = ['/tmp/.mount_Ferry2/ferry', '--native-host'];
  assert.deepEqual(registerAtStart(data, v2, m), []);
  assert.match(fs.readFileSync(launcher, 'utf8'), /exec '\/tmp\/\.mount_Ferry2\/ferry'/, 'the launcher follows the app');
  assert.equal(browserHostStates(data, m).find((b) => b.browser === 'firefox')?.installed, false);

  // Removed in Settings: a later start puts nothing back, not even the launcher.
  uninstallBrowserHosts(data, undefined, m);
  assert.ok(!fs.existsSync(manifest) && !fs.existsSync(launcher));
  assert.deepEqual(registerAtStart(data, v1, m), []);
  assert.ok(!fs.existsSync(manifest) && !fs.existsSync(launcher));
});

test('another program\'s manifest at Ferry\'s path is neither counted as Ferry\'s nor removed', () => {
  const m = machine();
  const data = tempDir('bh-data-');
  const manifest = path.join(m.folders.xdgConfigHome!, 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json');
  fs.mkdirSync(path.dirname(manifest), { recursive: true });
  fs.writeFileSync(manifest, '{"name":"something.else"}');
  assert.equal(browserHostStates(data, m).find((b) => b.browser === 'chromium')?.installed, false);
  assert.deepEqual(uninstallBrowserHosts(data, undefined, m), []);
  assert.equal(fs.readFileSync(manifest, 'utf8'), '{"name":"something.else"}');
});

test('the service tells Settings why a Ferry cannot be the host, and refuses to register one', () => {
  const data = tempDir('bh-data-');
  const why = 'On Windows the desktop app cannot be the browser extension\'s helper yet.';
  assert.deepEqual(browserHostsOf(data, { unavailable: why }), { unavailable: why, browsers: [] });
  assert.deepEqual(setBrowserHosts(data, { unavailable: why }, true), { ok: false, error: { code: 'unsupported', message: why } });
  assert.match(browserHostsOf(data, null).unavailable!, /ferry browser install/);
});
