import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findElectron, hasDisplay } from '../../electron/cli/start';
import { parseLaunchArgs } from '../../electron/main/launch-args';
import { tempDir } from '../support/harness';

test('a launch hands its links and existing paths to the app; flags and the app path are skipped', () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, 'photo.jpg'), 'x');
  fs.mkdirSync(path.join(cwd, 'album'));
  const request = parseLaunchArgs(['/opt/Ferry/ferry', '.', '--enable-logging', 'https://example.com/a.iso', 'photo.jpg', 'album', 'nope.txt', 'http://[bad'], cwd, 2);
  assert.deepEqual(request.urls, ['https://example.com/a.iso']);
  assert.deepEqual(request.paths, [path.join(cwd, 'photo.jpg'), path.join(cwd, 'album')]);
  assert.deepEqual(request.ignored, ['nope.txt', 'http://[bad']);
});

test('npm start knows when it cannot open a window: no display on Linux, or no Electron binary', () => {
  assert.equal(hasDisplay({}, 'linux'), false);
  assert.equal(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true);
  assert.equal(hasDisplay({}, 'darwin'), true);
  const found = findElectron({ ELECTRON_OVERRIDE_DIST_PATH: tempDir() });
  // This machine installs Electron without its binary; elsewhere the override points nowhere.
  assert.ok('missing' in found, JSON.stringify(found));
  assert.match(found.missing, /Electron/);
});
