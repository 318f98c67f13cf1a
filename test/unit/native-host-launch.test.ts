import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appCommand, nativeHostArgs, nativeHostCommand } from '../../electron/main/native-host-launch';

test('a launch is the native host only with --native-host, and the host gets what follows it', () => {
  assert.equal(nativeHostArgs(['/opt/Ferry/ferry', 'https://example.com/a.iso']), null);
  assert.deepEqual(nativeHostArgs(['/opt/Ferry/ferry', '--native-host', '--data-dir', '/home/a/.config/Ferry', 'chrome-extension://abc/']), [
    '--data-dir',
    '/home/a/.config/Ferry',
    'chrome-extension://abc/',
  ]);
  // Windows: Chromium adds --parent-window; Firefox gives the manifest path and the extension id.
  assert.deepEqual(nativeHostArgs(['C:\\Ferry\\Ferry.exe', '--native-host', '--data-dir', 'C:\\F', 'chrome-extension://abc/', '--parent-window=0']), ['--data-dir', 'C:\\F', 'chrome-extension://abc/', '--parent-window=0']);
});

test('the app starts again as a program outside it would: the AppImage file, the packaged executable, or electron with the app folder', () => {
  const base = { execPath: '/opt/Ferry/ferry', defaultApp: false, appPath: '/opt/Ferry/resources/app.asar', appImage: undefined };
  assert.deepEqual(appCommand(base), ['/opt/Ferry/ferry']);
  assert.deepEqual(appCommand({ ...base, execPath: '/tmp/.mount_FerryX1/ferry', appImage: '/home/a/Apps/Ferry-1.0.AppImage' }), ['/home/a/Apps/Ferry-1.0.AppImage']);
  assert.deepEqual(appCommand({ ...base, execPath: '/w/node_modules/electron/dist/electron', defaultApp: true, appPath: '/w' }), ['/w/node_modules/electron/dist/electron', '/w']);
  const none = (): boolean => false;
  assert.deepEqual(nativeHostCommand(base, 'linux', '/opt/Ferry/resources', none), { command: ['/opt/Ferry/ferry', '--native-host'] });
  assert.deepEqual(nativeHostCommand({ ...base, execPath: '/Applications/Ferry.app/Contents/MacOS/Ferry' }, 'darwin', '/Applications/Ferry.app/Contents/Resources', none), {
    command: ['/Applications/Ferry.app/Contents/MacOS/Ferry', '--native-host'],
  });
});

test('on Windows the host is the stand-alone one the installer ships, told where the app is; without it the app says why and the way out', () => {
  const win = { execPath: 'C:\\Users\\a\\AppData\\Local\\Programs\\Ferry\\Ferry.exe', defaultApp: false, appPath: 'C:\\x\\app.asar', appImage: undefined };
  const resources = 'C:\\Users\\a\\AppData\\Local\\Programs\\Ferry\\resources';
  const shipped = (file: string): boolean => file === `${resources}\\ferry-native-host.exe`;
  assert.deepEqual(nativeHostCommand(win, 'win32', resources, shipped), { command: [`${resources}\\ferry-native-host.exe`, '--app', win.execPath] });
  const answer = nativeHostCommand(win, 'win32', resources, () => false);
  assert.ok('unavailable' in answer);
  assert.match(answer.unavailable, /ferry-native-host\.exe.*ferry browser install/);
});
