// `npm run build` (and so `npm start`): compiles only what changed since the last build.
//
// Each step (the TypeScript projects, the two esbuild bundles) keeps a stamp in
// out/.build-state/ of the files it read and their mtimes; up-to-date.mjs decides from it
// whether the step runs again. A step that runs:
// - TypeScript: `tsc -p` with the project's .tsbuildinfo (incremental: it compares the
//   content of every file of the program, node_modules' types included, and compiles and
//   emits what changed). Its inputs are the files under the folders its tsconfig includes
//   (its excludes that are plain folders left out), the tsconfigs it extends, the installed
//   packages' record and this script; their mtimes are taken before tsc starts, so a file
//   saved while tsc runs is seen as changed next time.
// - esbuild: the bundle is built again; its inputs are the files esbuild read (its
//   metafile), the folders they are in (a new file next to them may change what an import
//   resolves to), the installed packages' record and this script.
//
// `node build/build.mjs [main|preload|renderer|browser]...`: the named parts only (default: all).
// `rm -rf out` always gives a full build.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { parseStamp, staleReason } from './up-to-date.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);
const require = createRequire(path.join(ROOT, 'package.json'));
const TSC = require.resolve('typescript/bin/tsc');
const TS_VERSION = require('typescript/package.json').version;
/**
 * Rewritten by every npm install and npm ci: the installed packages changed (npm gives the
 * files it unpacks a fixed old mtime, so their own mtimes say nothing).
 */
const INSTALLED = 'node_modules/.package-lock.json';
const SCRIPTS = ['build/build.mjs', 'build/up-to-date.mjs'];
const STATE_DIR = 'out/.build-state';
const TS_SOURCE = /\.(ts|tsx|mts|cts)$/;

/** mtime in ms, null when missing. Paths are relative to the project, with forward slashes. */
function mtimeOf(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

const rel = (file) => path.relative(ROOT, file).split(path.sep).join('/');

function readStamp(name) {
  try {
    return parseStamp(fs.readFileSync(path.join(STATE_DIR, `${name}.json`), 'utf8'));
  } catch {
    return null; // never built here
  }
}

function writeStamp(name, stamp) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(path.join(STATE_DIR, `${name}.json`), `${JSON.stringify(stamp, null, 1)}\n`);
}

/** The mtimes of `files` that exist. */
function snapshot(files) {
  const inputs = {};
  for (const file of files) {
    const mtime = mtimeOf(file);
    if (mtime !== null) inputs[file] = mtime;
  }
  return inputs;
}

/**
 * A tsconfig's own files (it and those it extends) and the folders its include names:
 * each pattern up to its first wildcard, resolved from the config that declares it.
 */
function tsProject(config) {
  const configs = [];
  let include = null;
  let exclude = null;
  for (let file = config; file; ) {
    configs.push(rel(file));
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const base = path.dirname(file);
    const folder = (pattern) => rel(path.resolve(base, pattern.split(/[*?{]/)[0] || '.'));
    include ??= json.include?.map(folder) ?? null;
    exclude ??= json.exclude?.filter((p) => !/[*?{]/.test(p)).map(folder) ?? null;
    file = json.extends ? path.resolve(base, json.extends) : null;
  }
  const excluded = exclude ?? [];
  const sources = [];
  const walk = (dir) => {
    if (excluded.includes(dir)) return;
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      if (TS_SOURCE.test(dir)) sources.push(dir); // an include naming one file
      return;
    }
    for (const entry of entries) {
      const full = dir === '.' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (TS_SOURCE.test(entry.name)) sources.push(full);
    }
  };
  for (const dir of include ?? ['.']) walk(dir);
  return [...configs, ...sources];
}

/** One TypeScript project: `tsc -p`, incremental, when any of its inputs changed. */
function typescript(name, label, config, outputs) {
  const key = JSON.stringify({ typescript: TS_VERSION, config });
  const startedAt = Date.now();
  let files;
  try {
    files = tsProject(config);
  } catch (error) {
    files = null; // a tsconfig with comments, say: compile every time, tsc reports real problems
    process.stderr.write(`build: cannot list ${config}'s files (${error.message}); compiling it every time\n`);
  }
  const inputs = snapshot([...(files ?? []), INSTALLED, ...SCRIPTS]);
  const why = files === null ? 'unknown inputs' : staleReason(readStamp(name), key, mtimeOf, Object.keys(inputs));
  if (why === null) return;
  process.stderr.write(`build: ${label} (${why})\n`);
  fs.rmSync(path.join(STATE_DIR, `${name}.json`), { force: true });
  // An incremental tsc re-emits only what changed, so a deleted output would stay missing.
  if (outputs.some((o) => mtimeOf(o) === null)) fs.rmSync(outputs[0], { force: true });
  const run = spawnSync(process.execPath, [TSC, '-p', config], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status || 1);
  if (files !== null) writeStamp(name, { key, startedAt, inputs, outputs });
}

/** One esbuild bundle, built again when anything it read changed. */
async function bundle(name, label, options) {
  const key = JSON.stringify({ esbuild: esbuild.version, options });
  const why = staleReason(readStamp(name), key, mtimeOf);
  if (why === null) return;
  process.stderr.write(`build: bundling ${label} (${why})\n`);
  fs.rmSync(path.join(STATE_DIR, `${name}.json`), { force: true });
  const startedAt = Date.now();
  let result;
  try {
    result = await esbuild.build({ ...options, metafile: true, logLevel: 'warning' });
  } catch {
    process.exit(1); // esbuild has printed the errors
  }
  // Names in the metafile that are no file (esbuild's own namespaces) drop out here.
  const read = Object.keys(result.metafile.inputs).filter((file) => mtimeOf(file) !== null);
  const folders = new Set(read.filter((file) => !file.startsWith('node_modules/')).map((file) => path.posix.dirname(file)));
  const inputs = snapshot([...read, ...folders, INSTALLED, ...SCRIPTS]);
  writeStamp(name, { key, startedAt, inputs, outputs: Object.keys(result.metafile.outputs) });
}

function copyIfChanged(from, to) {
  const content = fs.readFileSync(from);
  let current = null;
  try {
    current = fs.readFileSync(to);
  } catch {
    // not there yet
  }
  if (current !== null && current.equals(content)) return;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, content);
}

function writeIfChanged(to, text) {
  let current = null;
  try {
    current = fs.readFileSync(to, 'utf8');
  } catch {
    // not there yet
  }
  if (current === text) return;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, text);
}

const parts = process.argv.slice(2);
const unknown = parts.filter((p) => !['main', 'preload', 'renderer', 'browser', 'host'].includes(p));
if (unknown.length > 0) {
  process.stderr.write(`build: unknown part ${unknown.join(', ')}; the parts are main, preload, renderer, browser and host\n`);
  process.exit(2);
}
const wanted = (part) => parts.length === 0 || parts.includes(part);

if (wanted('main')) {
  // The first output is the .tsbuildinfo; the others are what npm start and the bin need.
  typescript('main', 'compiling electron/, test/ and bench/', 'tsconfig.json', ['out/.tsbuildinfo', 'out/electron/main/index.js', 'out/electron/cli/ferry.js', 'out/electron/cli/start.js']);
}
if (wanted('preload')) {
  typescript('preload-types', 'type-checking the preload', 'electron/preload/tsconfig.json', ['out/.tsbuildinfo-preload']);
  await bundle('preload', 'the preload', {
    entryPoints: ['electron/preload/index.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    target: 'chrome130',
    outfile: 'out/electron/preload/index.js',
  });
}
if (wanted('renderer')) {
  typescript('renderer-types', 'type-checking the window', 'renderer/tsconfig.json', ['out/.tsbuildinfo-renderer']);
  await bundle('renderer', 'the window', {
    entryPoints: ['renderer/src/main.tsx'],
    bundle: true,
    minify: true,
    sourcemap: true,
    target: 'chrome120',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile: 'out/renderer/app.js',
  });
  copyIfChanged('renderer/index.html', 'out/renderer/index.html');
}
if (wanted('browser')) {
  // The extension (shared/DESIGN.md section 11): one set of scripts, two manifests. Chromium
  // gets the pinned key (its ID is then the one the host manifests admit) and a service
  // worker; Firefox gets its extension id and background scripts.
  typescript('browser-types', 'type-checking the extension', 'browser/tsconfig.json', ['out/.tsbuildinfo-browser']);
  const common = await import('../out/electron/common/browser-capture.js').catch(() => null);
  if (!common) {
    process.stderr.write('build: the extension needs electron/common compiled first (the main part)\n');
    process.exit(1);
  }
  const version = JSON.parse(fs.readFileSync('package.json', 'utf8')).version;
  const base = JSON.parse(fs.readFileSync('browser/manifest.json', 'utf8'));
  const targets = {
    chromium: { target: 'chrome120', manifest: { ...base, version, key: common.CHROMIUM_EXTENSION_KEY, background: { service_worker: 'background.js' } } },
    firefox: {
      target: 'firefox115',
      manifest: { ...base, version, background: { scripts: ['background.js'] }, browser_specific_settings: { gecko: { id: common.FIREFOX_EXTENSION_ID, strict_min_version: '115.0' } } },
    },
  };
  for (const [name, { target, manifest }] of Object.entries(targets)) {
    const outdir = `out/browser/${name}`;
    await bundle(`browser-${name}`, `the ${name} extension`, {
      entryPoints: ['background', 'content', 'popup', 'options'].map((entry) => `browser/src/${entry}.ts`),
      bundle: true,
      format: 'iife',
      target,
      outdir,
    });
    writeIfChanged(`${outdir}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    for (const file of ['popup.html', 'popup.css', 'options.html']) copyIfChanged(`browser/src/${file}`, `${outdir}/${file}`);
    copyIfChanged('build/icons/32x32.png', `${outdir}/icon-32.png`);
    copyIfChanged('build/icons/128x128.png', `${outdir}/icon-128.png`);
  }
}
if (wanted('host')) {
  // The native host as one file with no native module (electron/engine/browser-host/standalone.ts):
  // what build/native-host-sea.mjs makes a single executable of, for the Windows installer.
  await bundle('native-host', 'the stand-alone native host', {
    entryPoints: ['electron/engine/browser-host/standalone.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { FERRY_BUNDLED_VERSION: JSON.stringify(JSON.parse(fs.readFileSync('package.json', 'utf8')).version) },
    outfile: 'out/native-host/host.js',
  });
}
