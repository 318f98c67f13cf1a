/**
 * `npm start`: the desktop app where it can run; otherwise one line saying why and
 * `ferry serve` instead, with its URL, so a fresh machine always shows Ferry one way or
 * the other. Either way it first says where downloads go, where Ferry keeps its data and
 * how to stop it. (This file never loads Electron's API; it only looks for its binary.)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultDataDir, defaultDownloadDir } from '../engine';
import { main as ferry } from './ferry';

/** The project (or packaged app) folder: the nearest one up with Ferry's package.json. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ferry') return dir;
    if (path.dirname(dir) === dir) return path.join(__dirname, '..', '..', '..');
  }
}

const ROOT = findRoot(__dirname);

/** The Electron binary npm installed, or why there is none. */
export function findElectron(env: NodeJS.ProcessEnv = process.env): { binary: string; version: string } | { missing: string } {
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve('electron/package.json', { paths: [ROOT] }));
  } catch {
    return { missing: 'the electron package is not installed (npm ci)' };
  }
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const pathFile = path.join(pkgDir, 'path.txt');
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || path.join(pkgDir, 'dist');
  if (!fs.existsSync(pathFile)) return { missing: `no Electron ${version} binary was downloaded (installed with ELECTRON_SKIP_BINARY_DOWNLOAD, or offline)` };
  const binary = path.join(distDir, fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? { binary, version } : { missing: `the Electron binary ${binary} is missing` };
}

/** Whether a window can be shown at all. */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * better-sqlite3 is built for Node (tests and the CLI use it); the desktop app's engine runs
 * on Electron's ABI. During development a second copy is built for Electron, once, and
 * handed to the engine (a packaged app gets its own rebuilt by electron-builder).
 */
function electronSqliteBinding(version: string): string | { failed: string } {
  const target = path.join(ROOT, 'out', 'native', `electron-${version}`, 'better_sqlite3.node');
  if (fs.existsSync(target)) return target;
  const source = path.dirname(require.resolve('better-sqlite3/package.json', { paths: [ROOT] }));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-sqlite-'));
  try {
    fs.cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) });
    process.stderr.write(`ferry: building better-sqlite3 for Electron ${version} (once, about a minute)...\n`);
    const built = spawnSync('npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
      shell: process.platform === 'win32',
    });
    const output = path.join(work, 'build', 'Release', 'better_sqlite3.node');
    if (built.status !== 0 || !fs.existsSync(output)) return { failed: `node-gyp exited with ${built.status ?? built.signal}` };
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(output, target);
    return target;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `--prepare-electron`: only build better-sqlite3 for Electron (CI does this before the desktop e2e). */
function prepare(): number {
  const electron = findElectron();
  if ('missing' in electron) {
    process.stderr.write(`ferry: nothing to prepare: ${electron.missing}\n`);
    return 1;
  }
  const binding = electronSqliteBinding(electron.version);
  if (typeof binding !== 'string') {
    process.stderr.write(`ferry: cannot build better-sqlite3 for Electron ${electron.version}: ${binding.failed}\n`);
    return 1;
  }
  process.stdout.write(`${binding}\n`);
  return 0;
}

/**
 * Electron's binary arrives with its package's install script, which npm may not have run
 * (npm 11 runs only the install scripts package.json allows). Fetch it now, unless told
 * not to; offline this fails in a moment and the caller falls back to ferry serve.
 */
function fetchElectron(): void {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return;
  let install: string;
  try {
    install = require.resolve('electron/install.js', { paths: [ROOT] });
  } catch {
    return;
  }
  process.stderr.write('ferry: fetching the Electron binary (once)...\n');
  spawnSync(process.execPath, [install], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 });
}

/** `--data-dir DIR` or `--data-dir=DIR` among ferry serve's arguments, resolved; else null. */
function dataDirArgument(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--data-dir' && i + 1 < args.length) return path.resolve(args[i + 1]!);
    if (arg.startsWith('--data-dir=')) return path.resolve(arg.slice('--data-dir='.length));
  }
  return null;
}

/**
 * What npm start says before Ferry starts: where downloads go, where the data lives, how
 * to stop it. `how`: the desktop app, or ferry serve (which also takes --data-dir).
 */
export function startNotes(how: 'window' | 'serve', args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const dataDir = (how === 'serve' ? dataDirArgument(args) : null) ?? defaultDataDir(env);
  return [
    `downloads go to ${defaultDownloadDir(env)} unless Settings names another folder`,
    `Ferry's data (queue, history, ferry.log) is in ${dataDir}`,
    how === 'window' ? 'Ctrl-C here quits Ferry, as Quit in its menu does' : 'Ctrl-C here stops Ferry; every transfer keeps its progress for the next start',
  ];
}

function say(lines: string[]): void {
  for (const line of lines) process.stderr.write(`ferry: ${line}\n`);
}

async function start(args: string[]): Promise<number> {
  if (args[0] === '--prepare-electron') return prepare();
  let electron = findElectron();
  if ('missing' in electron && hasDisplay()) {
    fetchElectron();
    electron = findElectron();
  }
  const why = 'missing' in electron ? electron.missing : !hasDisplay() ? 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' : null;
  if (why === null && !('missing' in electron)) {
    const binding = electronSqliteBinding(electron.version);
    if (typeof binding !== 'string') {
      process.stderr.write(`ferry: cannot build better-sqlite3 for Electron (${binding.failed}); starting ferry serve instead.\n`);
    } else {
      say(startNotes('window', args));
      const child = spawn(electron.binary, [ROOT, ...args], { stdio: 'inherit', env: { ...process.env, FERRY_SQLITE_BINDING: binding } });
      // Ctrl-C in the terminal reaches Electron too (same process group), which quits the app
      // the way its Quit does; this process waits for that instead of returning the prompt
      // early. A SIGTERM sent to this process alone is passed on.
      process.on('SIGINT', () => undefined);
      process.on('SIGTERM', () => child.kill('SIGTERM'));
      return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    }
  } else {
    process.stderr.write(`ferry: the desktop app cannot open here: ${why}; starting ferry serve instead.\n`);
  }
  say(startNotes('serve', args));
  return ferry(['serve', ...args]);
}

if (require.main === module) {
  void start(process.argv.slice(2)).then((code) => process.exit(code));
}
