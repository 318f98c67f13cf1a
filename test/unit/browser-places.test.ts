/**
 * Where each browser reads Ferry's native-messaging host from, per OS, and the Windows
 * registry layout (DESIGN.md section 11), checked as data: the same answers on any machine.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CHROMIUM_EXTENSION_ID,
  CHROMIUM_EXTENSION_KEY,
  CHROMIUM_EXTENSION_ORIGIN,
  FIREFOX_EXTENSION_ID,
  HOST_NAME,
} from '../../electron/common/browser-capture';
import { BROWSERS, browserPlace, hostManifest, launcherPath, launcherScript, registryCommands } from '../../electron/engine/browser-host/places';

const linux = { home: '/home/ana', xdgConfigHome: null };
const mac = { home: '/Users/ana' };
const win = { home: 'C:\\Users\\ana', appData: 'C:\\Users\\ana\\AppData\\Roaming', localAppData: 'C:\\Users\\ana\\AppData\\Local' };

describe('host manifest places', () => {
  test('Linux: ~/.config (or $XDG_CONFIG_HOME) + the browser folder + NativeMessagingHosts; Firefox under ~/.mozilla', () => {
    const expected = {
      chromium: '/home/ana/.config/chromium/NativeMessagingHosts/app.ferry.host.json',
      chrome: '/home/ana/.config/google-chrome/NativeMessagingHosts/app.ferry.host.json',
      edge: '/home/ana/.config/microsoft-edge/NativeMessagingHosts/app.ferry.host.json',
      brave: '/home/ana/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/app.ferry.host.json',
      vivaldi: '/home/ana/.config/vivaldi/NativeMessagingHosts/app.ferry.host.json',
      firefox: '/home/ana/.mozilla/native-messaging-hosts/app.ferry.host.json',
    };
    for (const browser of BROWSERS) {
      const place = browserPlace(browser, 'linux', linux, '/home/ana/.config/Ferry');
      assert.equal(place.manifest, expected[browser], browser);
      assert.equal(place.registry, null);
    }
    assert.equal(browserPlace('chromium', 'linux', { ...linux, xdgConfigHome: '/tmp/x' }, '/d').manifest, '/tmp/x/chromium/NativeMessagingHosts/app.ferry.host.json');
    assert.equal(browserPlace('chromium', 'linux', { ...linux, xdgConfigHome: '/tmp/x' }, '/d').profile, '/tmp/x/chromium');
    // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
    assert.equal(browserPlace('chromium', 'linux', { ...linux, xdgConfigHome: 'rel' }, '/d').manifest, expected.chromium);
    assert.equal(browserPlace('firefox', 'linux', { ...linux, xdgConfigHome: '/tmp/x' }, '/d').manifest, expected.firefox);
  });

  test('macOS: ~/Library/Application Support/<browser>/NativeMessagingHosts; Firefox under Mozilla', () => {
    const support = '/Users/ana/Library/Application Support';
    const expected = {
      chromium: `${support}/Chromium/NativeMessagingHosts/app.ferry.host.json`,
      chrome: `${support}/Google/Chrome/NativeMessagingHosts/app.ferry.host.json`,
      edge: `${support}/Microsoft Edge/NativeMessagingHosts/app.ferry.host.json`,
      brave: `${support}/BraveSoftware/Brave-Browser/NativeMessagingHosts/app.ferry.host.json`,
      vivaldi: `${support}/Vivaldi/NativeMessagingHosts/app.ferry.host.json`,
      firefox: `${support}/Mozilla/NativeMessagingHosts/app.ferry.host.json`,
    };
    for (const browser of BROWSERS) assert.equal(browserPlace(browser, 'darwin', mac, `${support}/Ferry`).manifest, expected[browser], browser);
  });

  test('Windows: a manifest per browser in the data directory, and an HKCU key whose default value is its path', () => {
    const data = 'C:\\Users\\ana\\AppData\\Roaming\\Ferry';
    const keys = {
      chromium: 'Software\\Chromium\\NativeMessagingHosts\\app.ferry.host',
      chrome: 'Software\\Google\\Chrome\\NativeMessagingHosts\\app.ferry.host',
      edge: 'Software\\Microsoft\\Edge\\NativeMessagingHosts\\app.ferry.host',
      brave: 'Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts\\app.ferry.host',
      vivaldi: 'Software\\Vivaldi\\NativeMessagingHosts\\app.ferry.host',
      firefox: 'Software\\Mozilla\\NativeMessagingHosts\\app.ferry.host',
    };
    for (const browser of BROWSERS) {
      const place = browserPlace(browser, 'win32', win, data);
      assert.equal(place.manifest, `${data}\\native-host\\app.ferry.host.${browser}.json`);
      assert.deepEqual(place.registry, { hive: 'HKCU', key: keys[browser], data: place.manifest });
    }
    assert.equal(browserPlace('chrome', 'win32', win, data).profile, 'C:\\Users\\ana\\AppData\\Local\\Google\\Chrome\\User Data');
    assert.equal(browserPlace('firefox', 'win32', win, data).profile, 'C:\\Users\\ana\\AppData\\Roaming\\Mozilla\\Firefox');
    const chrome = browserPlace('chrome', 'win32', win, data).registry!;
    assert.deepEqual(registryCommands(chrome), {
      add: ['add', `HKCU\\${keys.chrome}`, '/ve', '/t', 'REG_SZ', '/d', `${data}\\native-host\\app.ferry.host.chrome.json`, '/f'],
      query: ['query', `HKCU\\${keys.chrome}`, '/ve'],
      remove: ['delete', `HKCU\\${keys.chrome}`, '/f'],
    });
  });
});

describe('what is written', () => {
  test('a manifest admits Ferry\'s extension only: allowed_origins for Chromium-family browsers, allowed_extensions for Firefox', () => {
    assert.deepEqual(hostManifest('chrome', '/d/native-host/ferry-native-host'), {
      name: HOST_NAME,
      description: 'Ferry: downloads clicked in the browser go to Ferry',
      path: '/d/native-host/ferry-native-host',
      type: 'stdio',
      allowed_origins: [CHROMIUM_EXTENSION_ORIGIN],
    });
    const firefox = hostManifest('firefox', '/d/native-host/ferry-native-host');
    assert.deepEqual(firefox.allowed_extensions, [FIREFOX_EXTENSION_ID]);
    assert.equal(firefox.allowed_origins, undefined);
  });

  test('the launcher runs ferry native-host on the data directory and passes the browser\'s arguments on, quoted for its shell', () => {
    assert.equal(launcherPath('linux', '/home/ana/.config/Ferry'), '/home/ana/.config/Ferry/native-host/ferry-native-host');
    assert.equal(launcherPath('win32', 'C:\\F'), 'C:\\F\\native-host\\ferry-native-host.cmd');
    const sh = launcherScript('linux', ['/usr/bin/node', '/opt/ferry/ferry.js', 'native-host'], "/home/o'neil/Ferry");
    assert.match(sh, /^#!\/bin\/sh\n/);
    assert.match(sh, /\nexec '\/usr\/bin\/node' '\/opt\/ferry\/ferry\.js' 'native-host' --data-dir '\/home\/o'\\''neil\/Ferry' "\$@"\n$/);
    assert.equal(launcherScript('win32', ['C:\\node.exe', 'C:\\f\\ferry.js', 'native-host'], 'C:\\Users\\a b\\Ferry'), '@echo off\r\n"C:\\node.exe" "C:\\f\\ferry.js" "native-host" --data-dir "C:\\Users\\a b\\Ferry" %*\r\n');
  });

  test('the extension ID is the one its pinned key gives', () => {
    const der = Buffer.from(CHROMIUM_EXTENSION_KEY, 'base64');
    const id = crypto.createHash('sha256').update(der).digest('hex').slice(0, 32).replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 16)));
    assert.equal(id, CHROMIUM_EXTENSION_ID);
    assert.equal(CHROMIUM_EXTENSION_ORIGIN, `chrome-extension://${id}/`);
  });
});
