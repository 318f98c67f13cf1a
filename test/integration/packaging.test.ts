/**
 * The installers' configuration, read the way electron-builder reads it, and the app it
 * would package: electron-builder itself packs the app directory (its own file matching,
 * its own production-dependency walk) around a stand-in for Electron's binary, since
 * Electron's zip cannot be downloaded here. Nothing is fetched.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extractFile, listPackage } from '@electron/asar';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger, log as builderLog } from 'builder-util';
import { Arch, type Configuration, Platform, build } from 'electron-builder';
import * as yaml from 'js-yaml';
import { resolveAppPath, rendererDir } from '../../electron/main/app-files';
import { APP_PAGE_URL } from '../../electron/main/app-origin';
import { tempDir } from '../support/harness';

const ROOT = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  build: { win: { extraResources: unknown } };
};

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): [number, number] {
  const head = fs.readFileSync(file).subarray(0, 24);
  assert.equal(head.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  return [head.readUInt32BE(16), head.readUInt32BE(20)];
}

// electron-builder logs to stdout, which is the test runner's own channel to this file's
// process: a chunk of its log split at the wrong place broke the runner's framing
// ("Unable to deserialize cloned data"). Its log goes to stderr here.
(builderLog as unknown as { stream: NodeJS.WritableStream }).stream = process.stderr;

/**
 * Electron's fuse wire (what @electron/fuses flips): a sentinel, the wire's version (1), its
 * length, then one byte a fuse, '1' on and '0' off, in FuseV1Options order.
 */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_ORDER = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;
/** How Electron ships: Node's ways in open, cookies in plain text, file:// privileged. */
const ELECTRON_DEFAULT_FUSES = '10110001';

/** The fuses as they stand in a binary, by name. */
function readFuses(binary: string): Record<string, boolean> {
  const bytes = fs.readFileSync(binary);
  const at = bytes.indexOf(FUSE_SENTINEL);
  assert.ok(at >= 0, `${binary} has a fuse wire`);
  const wire = bytes.subarray(at + FUSE_SENTINEL.length);
  assert.equal(wire[0], 1, 'fuse wire version 1');
  const fuses = wire.subarray(2, 2 + wire[1]!).toString('latin1');
  return Object.fromEntries(FUSE_ORDER.map((name, i) => [name, fuses[i] === '1']));
}

/** The fuses Ferry flips (the Electron security checklist, and no file:// privileges since the window is on app://). */
const FERRY_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  enableCookieEncryption: true,
  grantFileProtocolExtraPrivileges: false,
};

const targetNames = (targets: unknown): string[] => (Array.isArray(targets) ? targets : [targets]).map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));

describe('installers: electron-builder configuration', () => {
  let config: Configuration;
  before(async () => {
    config = await getConfig(ROOT, null, null);
  });

  test('electron-builder loads and validates it', async () => {
    await validateConfiguration(config, new DebugLogger(false));
    assert.equal(config.appId, 'app.ferry.desktop');
    assert.equal(config.productName, 'Ferry');
    assert.equal(config.asar, true);
    assert.equal(pkg.main, 'out/electron/main/index.js');
  });

  test("Electron's fuses: no running as Node, no NODE_OPTIONS, no --inspect, the app only from its checked app.asar, cookies encrypted, no file:// privileges", () => {
    assert.deepEqual(config.electronFuses, FERRY_FUSES);
    // Only names electron-builder 26 passes on to @electron/fuses (an unknown one would be silently dropped).
    for (const name of Object.keys(config.electronFuses!)) assert.ok((FUSE_ORDER as readonly string[]).includes(name), name);
  });

  test('macOS: dmg and zip, hardened runtime with its entitlements file', () => {
    assert.deepEqual(targetNames(config.mac!.target), ['dmg', 'zip']);
    assert.equal(config.mac!.hardenedRuntime, true);
    const entitlements = fs.readFileSync(path.join(ROOT, config.mac!.entitlements!), 'utf8');
    assert.match(entitlements, /com\.apple\.security\.cs\.allow-jit/);
    assert.equal(config.mac!.entitlementsInherit, config.mac!.entitlements);
  });

  test('Windows: NSIS, per user, with a choice of folder', () => {
    assert.deepEqual(targetNames(config.win!.target), ['nsis']);
    assert.equal(config.nsis!.oneClick, false);
    assert.equal(config.nsis!.perMachine, false);
    assert.equal(config.nsis!.allowToChangeInstallationDirectory, true);
  });

  test('Linux: AppImage and deb, with category, maintainer and a desktop entry', () => {
    assert.deepEqual(targetNames(config.linux!.target), ['AppImage', 'deb']);
    assert.ok(config.linux!.category);
    assert.match(config.linux!.maintainer ?? '', /<.+@.+>/);
    const entry = (config.linux!.desktop as { entry: Record<string, string> }).entry;
    assert.equal(entry.Name, 'Ferry');
    assert.match(entry.Categories ?? '', /FileTransfer/);
  });

  test('icons: every path the configuration names exists and is the right kind of file', () => {
    const icns = fs.readFileSync(path.join(ROOT, config.mac!.icon!));
    assert.equal(icns.subarray(0, 4).toString('latin1'), 'icns');
    const ico = fs.readFileSync(path.join(ROOT, config.win!.icon!));
    assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0]);
    const linuxIcons = path.join(ROOT, config.linux!.icon!);
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) assert.deepEqual(pngSize(path.join(linuxIcons, `${size}x${size}.png`)), [size, size]);
    // One source image, rendered by npm run icons.
    assert.ok(fs.existsSync(path.join(ROOT, 'build', 'icon.svg')));
  });
});

describe('installers: what goes into app.asar', () => {
  let listing: string[];
  let unpacked: string[];
  let out: string;
  let asar: string;
  let executable: string;
  before(async () => {
    // A stand-in for Electron's unpacked distribution: electron-builder copies it, renames the
    // binary and flips its fuses, so it carries a fuse wire set as Electron ships it.
    const electronDist = tempDir('ferry-fake-electron-');
    fs.writeFileSync(path.join(electronDist, 'electron'), Buffer.concat([Buffer.from(`#!/bin/sh\n#${FUSE_SENTINEL}`), Buffer.from([1, 8]), Buffer.from(`${ELECTRON_DEFAULT_FUSES}\n`)]), { mode: 0o755 });
    fs.mkdirSync(path.join(electronDist, 'resources'));
    out = tempDir('ferry-pack-');
    const electronVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
    await build({
      projectDir: ROOT,
      targets: Platform.LINUX.createTarget('dir', Arch.x64),
      publish: 'never',
      // Only what needs the network changes: no Electron zip, no native rebuild for its ABI.
      config: { electronDist, electronVersion, npmRebuild: false, directories: { output: out } },
    });
    const resources = path.join(out, 'linux-unpacked', 'resources');
    asar = path.join(resources, 'app.asar');
    executable = path.join(out, 'linux-unpacked', 'ferry');
    listing = listPackage(asar, { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, ''));
    unpacked = fs.readdirSync(path.join(resources, 'app.asar.unpacked'), { recursive: true }).map((p) => String(p).replaceAll('\\', '/'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  test('the built app is in: main, engine process, preload, window, production dependencies', () => {
    for (const file of [pkg.main, 'out/electron/main/engine-process.js', 'out/electron/preload/index.js', 'out/renderer/index.html', 'out/renderer/app.js', 'out/renderer/app.css', 'build/icons/32x32.png', 'package.json']) {
      assert.ok(listing.includes(file), `${file} is packaged`);
    }
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(listing.includes(`node_modules/${dep}/package.json`), `${dep} (a production dependency) is packaged`);
    // Of hash-wasm, only the XXH3-128 module the block digests load (electron/engine/hash/block-digest.ts).
    assert.deepEqual(listing.filter((p) => p.startsWith('node_modules/hash-wasm/') && p.endsWith('.js')), ['node_modules/hash-wasm/dist/xxhash128.umd.min.js']);
  });

  test("the packaged executable's fuses are flipped as configured; the one left alone keeps Electron's setting", () => {
    assert.deepEqual(readFuses(executable), { ...FERRY_FUSES, loadBrowserProcessSpecificV8Snapshot: false });
    // runAsNode off breaks child_process.fork of the app's binary: the engine runs in a utilityProcess, and nothing sets ELECTRON_RUN_AS_NODE.
    const mainFiles = listing.filter((p) => p.startsWith('out/electron/') && p.endsWith('.js'));
    assert.deepEqual(mainFiles.filter((p) => extractFile(asar, p).toString().includes('ELECTRON_RUN_AS_NODE')), []);
    assert.match(extractFile(asar, 'out/electron/main/engine-host.js').toString(), /utilityProcess\.fork\(/);
  });

  test('the packaged window loads app://ferry/index.html, which resolves to the packaged page; the scheme is registered before ready', () => {
    const windowJs = extractFile(asar, 'out/electron/main/window.js').toString();
    const loads = [...windowJs.matchAll(/\.loadURL\(([^)]*)\)/g)].map((m) => m[1]);
    assert.deepEqual(loads, ['app_origin_1.APP_PAGE_URL'], 'the window loads the app page constant, nothing else');
    assert.doesNotMatch(windowJs, /pathToFileURL|loadFile\(|['"`]file:/, 'no file:// page');
    assert.match(APP_PAGE_URL, /^app:\/\/ferry\//);
    // Resolved as the packaged main process resolves it: from out/electron/main inside app.asar.
    const mainDir = path.join(asar, 'out', 'electron', 'main');
    const page = resolveAppPath(APP_PAGE_URL, rendererDir(mainDir));
    assert.ok(page.ok, JSON.stringify(page));
    assert.ok(listing.includes(path.relative(asar, page.file).replaceAll('\\', '/')), `${page.file} is packaged`);
    const indexJs = extractFile(asar, pkg.main).toString();
    const registered = indexJs.indexOf('registerAppScheme)()');
    assert.ok(registered > 0 && registered < indexJs.indexOf('whenReady()'), 'app:// is registered as privileged before the app is ready');
    assert.match(indexJs, /serveAppFiles\)\(\(0, app_files_1\.rendererDir\)\(__dirname\)\)/);
  });

  test('native code and the hashing worker sit unpacked beside the archive, where they can be loaded', () => {
    assert.ok(unpacked.some((p) => p.endsWith('better_sqlite3.node')), 'better_sqlite3.node is unpacked');
    assert.ok(unpacked.includes('out/electron/engine/hash/hash-worker.js'));
  });

  test('no tests, benchmarks, sources, source maps, CLI-only code or dev dependencies', () => {
    const forbidden = listing.filter(
      (p) =>
        p.startsWith('out/test/') ||
        p.startsWith('out/bench/') ||
        p.startsWith('out/electron/cli/') ||
        p.startsWith('electron/') ||
        p.startsWith('renderer/') ||
        p.startsWith('test/') ||
        p.endsWith('.map') ||
        p.endsWith('.ts') && !p.endsWith('.d.ts') ||
        p.startsWith('node_modules/better-sqlite3/src/') ||
        p.startsWith('node_modules/better-sqlite3/deps/'),
    );
    assert.deepEqual(forbidden, []);
    const devOnly = Object.keys(pkg.devDependencies).filter((dep) => !pkg.dependencies[dep] && listing.includes(`node_modules/${dep}/package.json`));
    assert.deepEqual(devOnly, []);
  });

  test('its size, reported', () => {
    const resources = path.join(out, 'linux-unpacked', 'resources');
    const asarBytes = fs.statSync(path.join(resources, 'app.asar')).size;
    let unpackedBytes = 0;
    for (const p of unpacked) {
      const full = path.join(resources, 'app.asar.unpacked', p);
      if (fs.statSync(full).isFile()) unpackedBytes += fs.statSync(full).size;
    }
    const mib = (n: number): string => `${(n / (1 << 20)).toFixed(2)} MiB`;
    process.stdout.write(`# app.asar: ${listing.length} entries, ${mib(asarBytes)}; unpacked beside it: ${mib(unpackedBytes)}\n`);
    assert.ok(asarBytes > 0);
  });
});

describe('installers: the release workflow', () => {
  test('builds on macOS, Windows and Linux runners: install, npm test, the desktop e2e, electron-builder, artifacts', () => {
    const workflow = yaml.load(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as {
      jobs: { installers: { strategy: { matrix: { include: Array<{ os: string }> } }; steps: Array<{ run?: string; uses?: string; if?: string }> } };
    };
    const job = workflow.jobs.installers;
    const oses = job.strategy.matrix.include.map((m) => m.os.split('-')[0]);
    assert.deepEqual(oses.sort(), ['macos', 'ubuntu', 'windows']);
    const runs = job.steps.map((s) => s.run ?? '');
    const at = (pattern: RegExp): number => runs.findIndex((r) => pattern.test(r));
    assert.ok(at(/^npm ci\b/) >= 0 && at(/^npm test$/) > at(/^npm ci\b/), 'install, then npm test');
    assert.ok(at(/xvfb-run -a npx playwright test --project electron/) > at(/^npm test$/), 'the _electron e2e under xvfb on Linux');
    assert.ok(at(/electron-builder --publish never/) > at(/playwright test --project electron/), 'installers after the tests');
    assert.ok(job.steps.some((s) => s.uses?.startsWith('actions/upload-artifact') && !s.if), 'installers kept as artifacts');
    // Windows: the browser extension's stand-alone host, built before the installer that ships it.
    const host = job.steps.findIndex((s) => s.run === 'node build/native-host-sea.mjs');
    assert.ok(host >= 0 && host < at(/electron-builder --publish never/) && job.steps[host]!.if === "runner.os == 'Windows'");
    assert.deepEqual(pkg.build.win.extraResources, [{ from: 'out/native-host/ferry-native-host.exe', to: 'ferry-native-host.exe' }]);
  });
});
