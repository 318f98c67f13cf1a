import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { findElectron, hasDisplay } from '../../electron/cli/start';
import { EngineSupervisor } from '../../electron/main/engine-supervisor';
import { parseLaunchArgs } from '../../electron/main/launch-args';
import { tempDir } from '../support/harness';

test('a launch hands its links and existing paths to the app; flags are skipped, each item taken once', () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, 'photo.jpg'), 'x');
  fs.mkdirSync(path.join(cwd, 'album'));
  const argv = ['/opt/Ferry/ferry', '--enable-logging', '-psn_0_12345', 'https://example.com/a.iso', 'photo.jpg', 'album', 'nope.txt', 'http://[bad', 'HTTPS://EXAMPLE.com/a.iso', './photo.jpg'];
  const request = parseLaunchArgs(argv, { cwd, appPathFirst: false });
  assert.deepEqual(request.urls, ['https://example.com/a.iso']);
  assert.deepEqual(request.paths, [path.join(cwd, 'photo.jpg'), path.join(cwd, 'album')]);
  assert.deepEqual(request.ignored, ['nope.txt', 'http://[bad']);
});

test('started as `electron <app>`, the first plain argument is the app even with flags before it (Playwright puts --inspect=0 first)', () => {
  const cwd = tempDir();
  const appDir = tempDir('ferry-app-dir-');
  const argv = ['/x/electron', '--inspect=0', '--remote-debugging-port=0', appDir, 'https://example.com/b.bin'];
  assert.deepEqual(parseLaunchArgs(argv, { cwd, appPathFirst: true }), { urls: ['https://example.com/b.bin'], paths: [], ignored: [] });
  // Packaged, there is no app path to skip: the same folder is a folder to upload.
  assert.deepEqual(parseLaunchArgs(argv, { cwd, appPathFirst: false }).paths, [appDir]);
});

test('after `--` everything is plain; file:// URLs (what file managers pass) are paths', () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, '-odd name.txt'), 'x');
  fs.writeFileSync(path.join(cwd, 'report.pdf'), 'x');
  const argv = ['ferry', '--', '-odd name.txt', pathToFileURL(path.join(cwd, 'report.pdf')).href, 'file://elsewhere/share/x.pdf', pathToFileURL(path.join(cwd, 'gone.pdf')).href];
  const request = parseLaunchArgs(argv, { cwd, appPathFirst: false });
  assert.deepEqual(request.paths, [path.join(cwd, '-odd name.txt'), path.join(cwd, 'report.pdf')]);
  assert.deepEqual(request.ignored, ['file://elsewhere/share/x.pdf', pathToFileURL(path.join(cwd, 'gone.pdf')).href]);
  // Whether a path exists is asked of the function given.
  const asked: string[] = [];
  parseLaunchArgs(['ferry', 'a.txt'], { cwd: '/w', appPathFirst: false, exists: (p) => (asked.push(p), false) });
  assert.deepEqual(asked, [path.resolve('/w', 'a.txt')]);
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

test('the engine supervisor: a quit is no crash; a first crash restarts at once, a second backs off, a third within a minute gives up and says what to do', () => {
  const supervisor = new EngineSupervisor();
  assert.deepEqual(supervisor.exited({ at: 0, code: 0, expected: true }), { action: 'none' });
  const first = supervisor.exited({ at: 1_000, code: 9 });
  assert.equal(first.action, 'restart');
  assert.equal(first.action === 'restart' && first.delayMs, 0);
  assert.match(first.action === 'restart' ? first.message : '', /^Ferry's engine stopped unexpectedly \(exit code 9\) and is being restarted\. Transfers keep their progress/);
  const second = supervisor.exited({ at: 5_000, code: 0 });
  assert.deepEqual(second.action === 'restart' && [second.delayMs, /it exited without being asked.*restarts in 2 seconds/.test(second.message)], [2_000, true]);
  const third = supervisor.exited({ at: 20_000, code: 134 });
  assert.equal(third.action, 'give-up');
  assert.match(third.action === 'give-up' ? third.message : '', /stopped 3 times within 60 seconds \(last: exit code 134\), so it is not restarted again\..*Quit Ferry and start it again/);
});

test('the engine supervisor: crashes a minute apart restart at once again; the backoff doubles up to its cap; a data directory taken meanwhile gives up at once', () => {
  const supervisor = new EngineSupervisor();
  assert.equal(supervisor.exited({ at: 0, code: 1 }).action, 'restart');
  const later = supervisor.exited({ at: 70_000, code: 1 });
  assert.equal(later.action === 'restart' && later.delayMs, 0, 'the crash a minute ago no longer counts');
  const patient = new EngineSupervisor({ maxCrashes: 10, windowMs: 1e9, backoffMs: 2_000, maxDelayMs: 30_000 });
  const delays = Array.from({ length: 7 }, (_, i) => patient.exited({ at: i, code: 1 })).map((d) => (d.action === 'restart' ? d.delayMs : -1));
  assert.deepEqual(delays, [0, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  const taken = new EngineSupervisor().exited({ at: 0, code: null, startFailure: 'Ferry (pid 42 on box, "ferry get") is using the data directory /d', locked: true });
  assert.equal(taken.action, 'give-up');
  assert.match(taken.action === 'give-up' ? taken.message : '', /could not start again: Ferry \(pid 42 .*Close the other Ferry/);
  const failedStart = new EngineSupervisor().exited({ at: 0, code: null, startFailure: 'SQLITE_IOERR: disk I/O error' });
  assert.match(failedStart.action === 'restart' ? failedStart.message : '', /it could not start: SQLITE_IOERR: disk I\/O error/);
});
