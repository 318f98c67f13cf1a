/**
 * `ferry browser install|uninstall [--browser NAME]... [--data-dir DIR] [--json]`
 * (DESIGN.md section 11): writes, per browser, the host manifest that lets Ferry's
 * extension start `ferry native-host` on this data directory, and the launcher it names;
 * uninstall removes exactly those (a manifest of another program's at the same path stays).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_NAME } from '../common/browser-capture';
import { defaultDataDir } from '../engine';
import { COMMON_OPTIONS, UsageError, parse } from './args';
import {
  BROWSERS,
  type BrowserName,
  type BrowserPlace,
  type Platform,
  type UserFolders,
  browserPlace,
  hostManifest,
  launcherPath,
  launcherScript,
  registryCommands,
} from './browser-places';
import { Output } from './output';

const OPTIONS = { ...COMMON_OPTIONS, browser: { type: 'string', multiple: true } } as const;

export const BROWSER_USAGE = 'ferry browser install|uninstall [--browser chromium|chrome|edge|brave|vivaldi|firefox]... [--data-dir DIR] [--json]';

function platformOf(): Platform {
  return process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
}

function userFolders(env: NodeJS.ProcessEnv = process.env): UserFolders {
  return { home: os.homedir(), xdgConfigHome: env.XDG_CONFIG_HOME ?? null, appData: env.APPDATA ?? null, localAppData: env.LOCALAPPDATA ?? null };
}

function browsersNamed(given: string[] | undefined): BrowserName[] | null {
  if (!given || given.length === 0) return null;
  for (const name of given) {
    if (!(BROWSERS as readonly string[]).includes(name)) throw new UsageError(`--browser ${name} is not one Ferry knows; the browsers are ${BROWSERS.join(', ')}`);
  }
  return [...new Set(given as BrowserName[])];
}

/** Whether the file at `file` is a host manifest of Ferry's (not another program's at the same path). */
function isOurs(file: string): boolean {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown };
    return json.name === HOST_NAME;
  } catch {
    return false;
  }
}

function reg(args: string[]): boolean {
  return spawnSync('reg', args, { stdio: 'ignore', windowsHide: true }).status === 0;
}

function install(place: BrowserPlace, launcher: string): void {
  fs.mkdirSync(path.dirname(place.manifest), { recursive: true });
  fs.writeFileSync(place.manifest, `${JSON.stringify(hostManifest(place.browser, launcher), null, 2)}\n`, { mode: 0o644 });
  if (place.registry && !reg(registryCommands(place.registry).add)) throw new Error(`could not write the registry key HKCU\\${place.registry.key}`);
}

function uninstall(place: BrowserPlace): boolean {
  let removed = false;
  if (isOurs(place.manifest)) {
    fs.rmSync(place.manifest, { force: true });
    removed = true;
  }
  if (place.registry && reg(registryCommands(place.registry).query)) {
    reg(registryCommands(place.registry).remove);
    removed = true;
  }
  return removed;
}

export async function commandBrowser(args: string[], usage: () => number): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === 'help') return usage();
  if (action !== 'install' && action !== 'uninstall') throw new UsageError(`ferry browser needs install or uninstall: ${BROWSER_USAGE}`);
  const { values, positionals } = parse(rest, OPTIONS, `browser ${action}`, false);
  if (values.help) return usage();
  if (positionals.length > 0) throw new UsageError(`ferry browser ${action} takes no other arguments: ${BROWSER_USAGE}`);
  const output = new Output({ json: Boolean(values.json) });
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  const platform = platformOf();
  const folders = userFolders();
  const named = browsersNamed(values.browser);
  const places = (named ?? [...BROWSERS]).map((b) => browserPlace(b, platform, folders, dataDir));
  const launcher = launcherPath(platform, dataDir);

  if (action === 'install') {
    const chosen = named ? places : places.filter((p) => fs.existsSync(p.profile));
    if (chosen.length === 0) {
      output.note(`No browser found (looked for ${BROWSERS.join(', ')}); name one with --browser.`);
      return 1;
    }
    fs.mkdirSync(path.dirname(launcher), { recursive: true, mode: 0o700 });
    fs.writeFileSync(launcher, launcherScript(platform, process.execPath, path.join(__dirname, 'ferry.js'), dataDir), { mode: 0o755 });
    fs.chmodSync(launcher, 0o755);
    for (const place of chosen) {
      install(place, launcher);
      output.emit({ type: 'installed', browser: place.browser, manifest: place.manifest });
      if (!output.json) process.stdout.write(`Installed for ${place.browser}: ${place.manifest}\n`);
    }
    output.note(`The extension (out/browser/chromium or out/browser/firefox) can now reach Ferry on ${dataDir}.`);
    return 0;
  }

  for (const place of places) {
    if (!uninstall(place)) continue;
    output.emit({ type: 'uninstalled', browser: place.browser, manifest: place.manifest });
    if (!output.json) process.stdout.write(`Removed for ${place.browser}: ${place.manifest}\n`);
  }
  // The launcher goes with the last manifest that names it.
  const everywhere = BROWSERS.map((b) => browserPlace(b, platform, folders, dataDir));
  if (!everywhere.some((p) => isOurs(p.manifest))) fs.rmSync(launcher, { force: true });
  return 0;
}
