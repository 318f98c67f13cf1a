/**
 * Registering Ferry's native-messaging host with the browsers (DESIGN.md section 11), for
 * every front door: `ferry browser install|uninstall`, the desktop app at its first start,
 * and the button in Settings (through the service). Each browser gets a manifest that
 * admits Ferry's extension only and names one launcher in the data directory; the launcher
 * runs the host on that data directory. Uninstall removes exactly what install wrote: a
 * manifest of another program's at the same path stays.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BROWSERS, type BrowserName, HOST_NAME } from '../../common/browser-capture';
import { type BrowserPlace, HOST_FOLDER, type Platform, type UserFolders, browserPlace, hostManifest, launcherPath, launcherScript, registryCommands } from './places';

/** The machine as registering sees it; tests give their own folders. */
export interface HostMachine {
  platform: Platform;
  folders: UserFolders;
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env): HostMachine {
  const platform = process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
  return { platform, folders: { home: os.homedir(), xdgConfigHome: env.XDG_CONFIG_HOME ?? null, appData: env.APPDATA ?? null, localAppData: env.LOCALAPPDATA ?? null } };
}

/** One browser as Settings shows it. */
export interface BrowserHostState {
  browser: BrowserName;
  /** The browser has been used by this person (its profile folder exists). */
  found: boolean;
  /** Ferry's manifest is there and names this data directory's launcher. */
  installed: boolean;
  manifest: string;
}

function reg(args: string[]): boolean {
  return spawnSync('reg', args, { stdio: 'ignore', windowsHide: true }).status === 0;
}

/** The manifest at `file` if it is Ferry's (not another program's at the same path); null otherwise. */
function ourManifest(file: string): { path?: unknown } | null {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; path?: unknown };
    return json.name === HOST_NAME ? json : null;
  } catch {
    return null;
  }
}

function placesOf(dataDir: string, machine: HostMachine, browsers: readonly BrowserName[] = BROWSERS): BrowserPlace[] {
  return browsers.map((b) => browserPlace(b, machine.platform, machine.folders, dataDir));
}

export function browserHostStates(dataDir: string, machine: HostMachine = thisMachine()): BrowserHostState[] {
  const launcher = launcherPath(machine.platform, dataDir);
  return placesOf(dataDir, machine).map((place) => {
    const ours = ourManifest(place.manifest);
    const registered = !place.registry || reg(registryCommands(place.registry).query);
    return { browser: place.browser, found: fs.existsSync(place.profile), installed: ours?.path === launcher && registered, manifest: place.manifest };
  });
}

/** Writes the launcher that runs `command` (the host) on `dataDir`. */
function writeLauncher(dataDir: string, command: readonly string[], machine: HostMachine): string {
  const launcher = launcherPath(machine.platform, dataDir);
  fs.mkdirSync(path.dirname(launcher), { recursive: true, mode: 0o700 });
  fs.writeFileSync(launcher, launcherScript(machine.platform, command, dataDir), { mode: 0o755 });
  fs.chmodSync(launcher, 0o755);
  return launcher;
}

/**
 * Registers the host with `browsers` ('found': every browser this person has used) and
 * answers the places written. Throws with the reason when a manifest or key cannot be written.
 */
export function installBrowserHosts(dataDir: string, command: readonly string[], browsers: readonly BrowserName[] | 'found', machine: HostMachine = thisMachine()): BrowserPlace[] {
  const all = placesOf(dataDir, machine, browsers === 'found' ? BROWSERS : browsers);
  const chosen = browsers === 'found' ? all.filter((p) => fs.existsSync(p.profile)) : all;
  if (chosen.length === 0) return [];
  const launcher = writeLauncher(dataDir, command, machine);
  for (const place of chosen) {
    fs.mkdirSync(path.dirname(place.manifest), { recursive: true });
    fs.writeFileSync(place.manifest, `${JSON.stringify(hostManifest(place.browser, launcher), null, 2)}\n`, { mode: 0o644 });
    if (place.registry && !reg(registryCommands(place.registry).add)) throw new Error(`could not write the registry key HKCU\\${place.registry.key}`);
  }
  return chosen;
}

/** Removes Ferry's manifests (and keys) from `browsers` (all by default); the launcher goes with the last. Answers the places cleared. */
export function uninstallBrowserHosts(dataDir: string, browsers: readonly BrowserName[] = BROWSERS, machine: HostMachine = thisMachine()): BrowserPlace[] {
  const removed: BrowserPlace[] = [];
  for (const place of placesOf(dataDir, machine, browsers)) {
    let cleared = false;
    if (ourManifest(place.manifest)) {
      fs.rmSync(place.manifest, { force: true });
      cleared = true;
    }
    if (place.registry && reg(registryCommands(place.registry).query)) {
      reg(registryCommands(place.registry).remove);
      cleared = true;
    }
    if (cleared) removed.push(place);
  }
  if (!placesOf(dataDir, machine).some((p) => ourManifest(p.manifest))) fs.rmSync(launcherPath(machine.platform, dataDir), { force: true });
  return removed;
}

/** Set once the app has registered the host at its first start: later starts leave the person's choice alone. */
const FIRST_START_MARK = 'registered-at-first-start';

/**
 * The desktop app's start (DESIGN.md section 11): at the first start, registers the host
 * with every browser found; at every later one only rewrites the launcher when the app's
 * own command changed (an update or an AppImage moves the executable), so a browser that
 * was set up keeps reaching Ferry and one the person removed stays removed. Safe to call
 * at every start. Answers the browsers registered now.
 */
export function registerAtStart(dataDir: string, command: readonly string[], machine: HostMachine = thisMachine()): BrowserName[] {
  const mark = path.join(dataDir, HOST_FOLDER, FIRST_START_MARK);
  if (!fs.existsSync(mark)) {
    const placed = installBrowserHosts(dataDir, command, 'found', machine);
    fs.mkdirSync(path.dirname(mark), { recursive: true, mode: 0o700 });
    fs.writeFileSync(mark, `${new Date().toISOString()}\n`);
    return placed.map((p) => p.browser);
  }
  const launcher = launcherPath(machine.platform, dataDir);
  const wanted = launcherScript(machine.platform, command, dataDir);
  const current = fs.existsSync(launcher) ? fs.readFileSync(launcher, 'utf8') : null;
  if (current !== null && current !== wanted) writeLauncher(dataDir, command, machine);
  return [];
}
