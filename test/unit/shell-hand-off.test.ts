/**
 * A second launch while Ferry runs (electron/main/hand-off.ts): what it sends, what the
 * running Ferry believes of it, and what it then does.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { handOffData, planHandOver, secondLaunch } from '../../electron/main/hand-off';
import { parseLaunchArgs } from '../../electron/main/launch-args';

const file = path.resolve('/home/ana/clip.mp4');
const context = { cwd: '/', appPathFirst: false, exists: (p: string) => p === file };

test("a second launch's own reading of its command line is taken over the argv Chromium forwards", () => {
  const own = parseLaunchArgs(['ferry', 'https://example.com/a.iso', file, 'missing.txt'], context);
  const data = handOffData(own);
  // What arrives as argv may have switches added and arguments moved (Windows adds some); it is not read.
  const forwarded = ['ferry', '--allow-file-access-from-files', 'https://other.example/b.iso'];
  assert.deepEqual(secondLaunch(forwarded, data, context), { urls: ['https://example.com/a.iso'], paths: [file], ignored: ['missing.txt'] });
  // The data crosses processes as a structured clone: a copy reads the same.
  assert.deepEqual(secondLaunch(forwarded, structuredClone(data), context), own);
});

test('hand-off data that is missing or malformed falls back to the argv; links and paths in it are checked again', () => {
  const argv = ['ferry', 'https://example.com/from-argv.iso'];
  const fromArgv = { urls: ['https://example.com/from-argv.iso'], paths: [], ignored: [] };
  for (const data of [undefined, null, 'text', {}, { ferryHandOff: 2, urls: [], paths: [], ignored: [] }, { ferryHandOff: 1, urls: [7], paths: [], ignored: [] }, { ferryHandOff: 1, urls: [], paths: 'x', ignored: [] }, { ferryHandOff: 1, urls: Array(10_001).fill('https://a.example/'), paths: [], ignored: [] }]) {
    assert.deepEqual(secondLaunch(argv, data, context), fromArgv, JSON.stringify(data)?.slice(0, 80));
  }
  const odd = { ferryHandOff: 1, urls: ['javascript:alert(1)', 'file:///etc/passwd', 'HTTPS://Example.com/x'], paths: ['relative/x', file], ignored: ['q'] };
  assert.deepEqual(secondLaunch(argv, odd, context), { urls: ['https://example.com/x'], paths: [file], ignored: ['q', 'javascript:alert(1)', 'file:///etc/passwd', 'relative/x'] });
});

test('the hand-over plan: links become downloads; files go to the one destination, or the person is told what to do', () => {
  const request = { urls: ['https://example.com/a.iso'], paths: [file], ignored: [] };
  assert.deepEqual(planHandOver(request, [{ id: 'dest-1' }]), { downloads: ['https://example.com/a.iso'], uploads: { paths: [file], destination: 'dest-1' }, problems: [] });
  assert.deepEqual(planHandOver(request, []), {
    downloads: ['https://example.com/a.iso'],
    uploads: null,
    problems: [{ title: 'Choose where to upload', message: 'Add an upload destination in Settings, then drop the files on the window.' }],
  });
  assert.deepEqual(planHandOver(request, [{ id: 'a' }, { id: 'b' }]).problems, [{ title: 'Choose where to upload', message: 'Several upload destinations are set up: drop the files on the window and pick one.' }]);
  // Nothing asked: nothing added, nothing said (the window still comes to the front).
  assert.deepEqual(planHandOver({ urls: [], paths: [], ignored: [] }, []), { downloads: [], uploads: null, problems: [] });
});

test('what could not be taken is said, by name, up to five', () => {
  const ignored = ['nope.txt', 'http://[bad', 'a', 'b', 'c', 'd', 'e'];
  const plan = planHandOver({ urls: [], paths: [], ignored }, []);
  assert.deepEqual(plan.problems, [{ title: 'Ferry could not open what it was given', message: 'nope.txt, http://[bad, a, b, c and 2 more: neither an http(s) link nor a file or folder that exists.' }]);
  assert.equal(planHandOver({ urls: [], paths: [], ignored: ['x.txt'] }, []).problems[0]!.message, 'x.txt: neither an http(s) link nor a file or folder that exists.');
});
