// Makes out/native-host/ferry-native-host (.exe on Windows): the stand-alone native host
// (out/native-host/host.js, from `npm run build`) as a Node single executable application,
// for the Windows installer (package.json build.win.extraResources). A windowed program
// gets no standard input on Windows, so the app cannot be the browser's host there itself.
// Run by the release workflow before electron-builder, and by test/integration/native-host-sea.test.ts.
//
//   node build/native-host-sea.mjs        prints the executable's path
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, '$1')), '..');
const out = path.join(root, 'out', 'native-host');
const main = path.join(out, 'host.js');
if (!fs.existsSync(main)) {
  process.stderr.write('native-host-sea: out/native-host/host.js is missing: run npm run build first\n');
  process.exit(1);
}
const exe = path.join(out, process.platform === 'win32' ? 'ferry-native-host.exe' : 'ferry-native-host');
const blob = path.join(out, 'sea-prep.blob');
const config = path.join(out, 'sea-config.json');
fs.writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true }));
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
fs.rmSync(exe, { force: true });
fs.copyFileSync(process.execPath, exe);
fs.chmodSync(exe, 0o755);
if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe]);
const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
execFileSync(
  process.execPath,
  [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2', ...(process.platform === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [])],
  // postject warns about ELF note sections it does not touch; its output is shown only when it fails.
  { stdio: 'pipe' },
);
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);
fs.rmSync(blob, { force: true });
fs.rmSync(config, { force: true });
process.stdout.write(`${exe}\n`);
