/**
 * `ferry browser install|uninstall` (DESIGN.md section 11) on this machine's layout: the
 * manifest where the browser reads it, a launcher that runs the host, and uninstall
 * removing exactly that.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CHROMIUM_EXTENSION_ORIGIN, FIREFOX_EXTENSION_ID } from '../../electron/common/browser-capture';
import { encodeFrame, FrameReader } from '../../electron/engine/browser-host/framing';
import { runCli } from '../support/cli';
import { tempDir } from '../support/harness';

test('install writes a manifest per browser found (or named) and a launcher that answers; uninstall removes exactly them', async () => {
  const home = tempDir('bi-home-');
  const config = tempDir('bi-config-');
  const data = path.join(tempDir('bi-data-'), 'Ferry');
  const env = { HOME: home, XDG_CONFIG_HOME: config };

  // Nothing found, nothing named: says so.
  const none = await runCli(['browser', 'install', '--data-dir', data], env);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /No browser found/);

  // Chromium has a profile: found. Firefox is named.
  fs.mkdirSync(path.join(config, 'chromium'));
  const found = await runCli(['browser', 'install', '--data-dir', data, '--json'], env);
  assert.equal(found.code, 0, found.stderr);
  const manifest = path.join(config, 'chromium', 'NativeMessagingHosts', 'app.ferry.host.json');
  assert.deepEqual(found.events, [{ type: 'installed', browser: 'chromium', manifest }]);
  const named = await runCli(['browser', 'install', '--browser', 'firefox', '--data-dir', data, '--json'], env);
  const firefox = path.join(home, '.mozilla', 'native-messaging-hosts', 'app.ferry.host.json');
  assert.deepEqual(named.events, [{ type: 'installed', browser: 'firefox', manifest: firefox }]);

  const written = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { path: string; allowed_origins: string[] };
  assert.deepEqual(written.allowed_origins, [CHROMIUM_EXTENSION_ORIGIN]);
  assert.deepEqual((JSON.parse(fs.readFileSync(firefox, 'utf8')) as { allowed_extensions: string[] }).allowed_extensions, [FIREFOX_EXTENSION_ID]);
  assert.equal(fs.statSync(written.path).mode & 0o111, 0o111, 'the launcher is executable');

  // The launcher, run as the browser runs it, is the host: no Ferry runs, so not-running.
  const run = spawnSync(written.path, [CHROMIUM_EXTENSION_ORIGIN], { input: encodeFrame({ id: 1, method: 'status' }) });
  assert.equal(run.status, 0, String(run.stderr));
  const [reply] = new FrameReader(1 << 20).push(run.stdout);
  assert.deepEqual(reply, { ok: true, message: { id: 1, ok: false, error: { code: 'not-running', message: 'Ferry is not running: start Ferry (or ferry serve) and try again; the browser keeps this download.' } } });

  // Another program's manifest at a path Ferry knows is not Ferry's to remove.
  const edge = path.join(config, 'microsoft-edge', 'NativeMessagingHosts', 'app.ferry.host.json');
  fs.mkdirSync(path.dirname(edge), { recursive: true });
  fs.writeFileSync(edge, '{"name":"something.else"}');

  const bad = await runCli(['browser', 'install', '--browser', 'netscape', '--data-dir', data], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--browser netscape is not one Ferry knows; the browsers are chromium, chrome, edge, brave, vivaldi, firefox/);

  const one = await runCli(['browser', 'uninstall', '--browser', 'firefox', '--data-dir', data, '--json'], env);
  assert.deepEqual(one.events, [{ type: 'uninstalled', browser: 'firefox', manifest: firefox }]);
  assert.ok(fs.existsSync(written.path), 'the launcher stays while chromium still names it');
  const all = await runCli(['browser', 'uninstall', '--data-dir', data, '--json'], env);
  assert.deepEqual(all.events, [{ type: 'uninstalled', browser: 'chromium', manifest }]);
  assert.ok(!fs.existsSync(manifest) && !fs.existsSync(firefox) && !fs.existsSync(written.path));
  assert.ok(fs.existsSync(edge), 'another program\'s file stays');
});
