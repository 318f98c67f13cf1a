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
  assert.deepEqual(nativeHostCommand(base, 'linux'), { command: ['/opt/Ferry/ferry', '--native-host'] });
  assert.deepEqual(nativeHostCommand({ ...base, execPath: '/Applications/Ferry.app/Contents/MacOS/Ferry' }, 'darwin'), { command: ['/Applications/Ferry.app/Contents/MacOS/Ferry', '--native-host'] });
});

test('on Windows the app says why it cannot be the host, and the way out, instead of registering one that would read nothing', () => {
  const answer = nativeHostCommand({ execPath: 'C:\\Ferry\\Ferry.exe', defaultApp: false, appPath: 'C:\\Ferry\\resources\\app.asar', appImage: undefined }, 'win32');
  assert.ok('unavailable' in answer);
  assert.match(answer.unavailable, /standard input.*ferry browser install/);
});
