/**
 * Where each browser looks for a native-messaging host, per OS (DESIGN.md section 11), and
 * what Ferry writes there. Pure data: given the OS, the user's folders and the data
 * directory, the same answers every time, so tests check them for every OS on any one.
 *
 * - Linux: `$XDG_CONFIG_HOME` (or ~/.config) + the browser's folder + `NativeMessagingHosts/`;
 *   Firefox reads `~/.mozilla/native-messaging-hosts/`.
 * - macOS: `~/Library/Application Support/<browser>/NativeMessagingHosts/` (Firefox:
 *   `Mozilla/NativeMessagingHosts/`).
 * - Windows: a manifest in the data directory, and a per-user (HKCU) registry key whose
 *   default value is that manifest's path.
 */
import * as path from 'node:path';
import { BROWSERS, type BrowserName, CHROMIUM_EXTENSION_ORIGIN, FIREFOX_EXTENSION_ID, HOST_NAME } from '../../common/browser-capture';

export { BROWSERS, type BrowserName };
export type Platform = 'linux' | 'darwin' | 'win32';

/** The user's folders, as the environment gives them. */
export interface UserFolders {
  home: string;
  /** Linux: $XDG_CONFIG_HOME, when set. */
  xdgConfigHome?: string | null;
  /** Windows: %APPDATA% (Roaming) and %LOCALAPPDATA%. */
  appData?: string | null;
  localAppData?: string | null;
}

/** A per-user registry key and the default value Ferry gives it (Windows). */
export interface RegistryEntry {
  hive: 'HKCU';
  key: string;
  /** The key's default value: the manifest's full path. */
  data: string;
}

export interface BrowserPlace {
  browser: BrowserName;
  /** Where the host manifest is written. */
  manifest: string;
  /** Windows: the key that points the browser at the manifest; null elsewhere. */
  registry: RegistryEntry | null;
  /** A folder that exists when the browser has been used by this person: how "found" is decided. */
  profile: string;
}

/** Per browser: its folder under ~/.config (Linux), under Application Support (macOS), its registry path and profile folder (Windows). */
const LAYOUT: Record<BrowserName, { linux: string[]; darwin: string[]; registry: string; windowsProfile: string[] }> = {
  chromium: { linux: ['chromium'], darwin: ['Chromium'], registry: 'Software\\Chromium', windowsProfile: ['Chromium', 'User Data'] },
  chrome: { linux: ['google-chrome'], darwin: ['Google', 'Chrome'], registry: 'Software\\Google\\Chrome', windowsProfile: ['Google', 'Chrome', 'User Data'] },
  edge: { linux: ['microsoft-edge'], darwin: ['Microsoft Edge'], registry: 'Software\\Microsoft\\Edge', windowsProfile: ['Microsoft', 'Edge', 'User Data'] },
  brave: {
    linux: ['BraveSoftware', 'Brave-Browser'],
    darwin: ['BraveSoftware', 'Brave-Browser'],
    registry: 'Software\\BraveSoftware\\Brave-Browser',
    windowsProfile: ['BraveSoftware', 'Brave-Browser', 'User Data'],
  },
  vivaldi: { linux: ['vivaldi'], darwin: ['Vivaldi'], registry: 'Software\\Vivaldi', windowsProfile: ['Vivaldi', 'User Data'] },
  firefox: { linux: [], darwin: [], registry: 'Software\\Mozilla', windowsProfile: [] },
};

/** The folder in the data directory that holds the launcher (and on Windows the manifests). */
export const HOST_FOLDER = 'native-host';

export function launcherPath(platform: Platform, dataDir: string): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  return p.join(dataDir, HOST_FOLDER, platform === 'win32' ? 'ferry-native-host.cmd' : 'ferry-native-host');
}

/** Where `browser` on `platform` reads Ferry's host manifest from. */
export function browserPlace(browser: BrowserName, platform: Platform, folders: UserFolders, dataDir: string): BrowserPlace {
  const layout = LAYOUT[browser];
  const file = `${HOST_NAME}.json`;
  if (platform === 'win32') {
    const p = path.win32;
    const appData = folders.appData ?? p.join(folders.home, 'AppData', 'Roaming');
    const local = folders.localAppData ?? p.join(folders.home, 'AppData', 'Local');
    const manifest = p.join(dataDir, HOST_FOLDER, `${HOST_NAME}.${browser}.json`);
    const profile = browser === 'firefox' ? p.join(appData, 'Mozilla', 'Firefox') : p.join(local, ...layout.windowsProfile);
    return { browser, manifest, registry: { hive: 'HKCU', key: `${layout.registry}\\NativeMessagingHosts\\${HOST_NAME}`, data: manifest }, profile };
  }
  const p = path.posix;
  if (platform === 'darwin') {
    const support = p.join(folders.home, 'Library', 'Application Support');
    if (browser === 'firefox') return { browser, manifest: p.join(support, 'Mozilla', 'NativeMessagingHosts', file), registry: null, profile: p.join(support, 'Firefox') };
    return { browser, manifest: p.join(support, ...layout.darwin, 'NativeMessagingHosts', file), registry: null, profile: p.join(support, ...layout.darwin) };
  }
  if (browser === 'firefox') {
    const mozilla = p.join(folders.home, '.mozilla');
    return { browser, manifest: p.join(mozilla, 'native-messaging-hosts', file), registry: null, profile: mozilla };
  }
  const config = folders.xdgConfigHome && p.isAbsolute(folders.xdgConfigHome) ? folders.xdgConfigHome : p.join(folders.home, '.config');
  return { browser, manifest: p.join(config, ...layout.linux, 'NativeMessagingHosts', file), registry: null, profile: p.join(config, ...layout.linux) };
}

/** The host manifest for `browser`: it names the launcher and admits Ferry's extension only. */
export function hostManifest(browser: BrowserName, launcher: string): Record<string, unknown> {
  const common = { name: HOST_NAME, description: 'Ferry: downloads clicked in the browser go to Ferry', path: launcher, type: 'stdio' };
  return browser === 'firefox' ? { ...common, allowed_extensions: [FIREFOX_EXTENSION_ID] } : { ...common, allowed_origins: [CHROMIUM_EXTENSION_ORIGIN] };
}

/**
 * The launcher the manifest names: it runs the host on the data directory, passing on what
 * the browser adds. `command` starts the host: `[node, ferry.js, 'native-host']` for the
 * CLI, `[the app, '--native-host']` for the desktop app.
 */
export function launcherScript(platform: Platform, command: readonly string[], dataDir: string): string {
  if (platform === 'win32') {
    const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
    return `@echo off\r\n${command.map(q).join(' ')} --data-dir ${q(dataDir)} %*\r\n`;
  }
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# Written by Ferry (ferry browser install, or the app); ferry browser uninstall removes it.\nexec ${command.map(q).join(' ')} --data-dir ${q(dataDir)} "$@"\n`;
}

/** reg.exe's arguments that write and remove a registry entry. */
export function registryCommands(entry: RegistryEntry): { add: string[]; query: string[]; remove: string[] } {
  const key = `${entry.hive}\\${entry.key}`;
  return {
    add: ['add', key, '/ve', '/t', 'REG_SZ', '/d', entry.data, '/f'],
    query: ['query', key, '/ve'],
    remove: ['delete', key, '/f'],
  };
}
