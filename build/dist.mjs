// `npm run dist`: the installers for this OS (macOS dmg + zip, Windows nsis, Linux AppImage +
// deb) into dist/. electron-builder fetches Electron's zip for the target (and its own tools)
// from GitHub; where that cannot work this stops with what to do, not a stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const platform = { darwin: 'darwin', win32: 'win32', linux: 'linux' }[process.platform];
if (!platform) {
  console.error(`ferry dist: installers are built on macOS, Windows or Linux, not ${process.platform}.`);
  process.exit(2);
}
const zip = `electron-v${version}-${platform}-${process.arch}.zip`;

/** Where @electron/get keeps downloaded zips (electron-builder uses the same cache). */
function cacheDirs() {
  const dirs = [process.env.ELECTRON_CACHE, process.env.electron_config_cache].filter(Boolean);
  if (process.platform === 'darwin') dirs.push(join(homedir(), 'Library', 'Caches', 'electron'));
  else if (process.platform === 'win32') dirs.push(join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'electron', 'Cache'));
  else dirs.push(join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'electron'));
  return dirs;
}

function cached() {
  const found = (dir) => existsSync(dir) && readdirSync(dir, { recursive: true }).some((name) => String(name).endsWith(zip));
  return cacheDirs().some(found);
}

async function reachable() {
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const url = `${mirror}v${version}/${zip}`;
  try {
    const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    return response.ok ? null : `${url} answered ${response.status}`;
  } catch (error) {
    return `${url} cannot be reached (${error.cause?.code ?? error.message})`;
  }
}

if (!cached()) {
  const problem = await reachable();
  if (problem) {
    console.error(`ferry dist: cannot build installers here: Electron ${version}'s ${zip} is not in the cache and ${problem}.
  What to do:
  - build where GitHub is reachable, or run the release workflow (.github/workflows/release.yml), which builds
    all three OSes and keeps the installers as artifacts;
  - or put ${zip} in ${cacheDirs().at(-1)} (electron-builder also fetches its own tools: NSIS, AppImage, fpm);
  - or set ELECTRON_MIRROR to a mirror that has it.`);
    process.exit(1);
  }
}

const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status ?? 1;
const built = run('npm', ['run', 'build']);
if (built !== 0) process.exit(built);
process.exit(run('npx', ['electron-builder', '--publish', 'never', ...process.argv.slice(2)]));
