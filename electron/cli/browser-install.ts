/**
 * `ferry browser install|uninstall [--browser NAME]... [--data-dir DIR] [--json]`
 * (DESIGN.md section 11): writes, per browser, the host manifest that lets Ferry's
 * extension start `ferry native-host` on this data directory, and the launcher it names;
 * uninstall removes exactly those (a manifest of another program's at the same path stays).
 */
import * as path from 'node:path';
import { BROWSERS, type BrowserName, defaultDataDir, installBrowserHosts, uninstallBrowserHosts } from '../engine';
import { COMMON_OPTIONS, UsageError, parse } from './args';
import { Output } from './output';

const OPTIONS = { ...COMMON_OPTIONS, browser: { type: 'string', multiple: true } } as const;

export const BROWSER_USAGE = 'ferry browser install|uninstall [--browser chromium|chrome|edge|brave|vivaldi|firefox]... [--data-dir DIR] [--json]';

function browsersNamed(given: string[] | undefined): BrowserName[] | null {
  if (!given || given.length === 0) return null;
  for (const name of given) {
    if (!(BROWSERS as readonly string[]).includes(name)) throw new UsageError(`--browser ${name} is not one Ferry knows; the browsers are ${BROWSERS.join(', ')}`);
  }
  return [...new Set(given as BrowserName[])];
}

/** What the launcher runs: this Node and this CLI, as `ferry native-host`. */
export function cliHostCommand(): string[] {
  return [process.execPath, path.join(__dirname, 'ferry.js'), 'native-host'];
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
  const named = browsersNamed(values.browser);

  if (action === 'install') {
    const placed = installBrowserHosts(dataDir, cliHostCommand(), named ?? 'found');
    if (placed.length === 0) {
      output.note(`No browser found (looked for ${BROWSERS.join(', ')}); name one with --browser.`);
      return 1;
    }
    for (const place of placed) {
      output.emit({ type: 'installed', browser: place.browser, manifest: place.manifest });
      if (!output.json) process.stdout.write(`Installed for ${place.browser}: ${place.manifest}\n`);
    }
    output.note(`The extension (out/browser/chromium or out/browser/firefox) can now reach Ferry on ${dataDir}.`);
    return 0;
  }

  for (const place of uninstallBrowserHosts(dataDir, named ?? undefined)) {
    output.emit({ type: 'uninstalled', browser: place.browser, manifest: place.manifest });
    if (!output.json) process.stdout.write(`Removed for ${place.browser}: ${place.manifest}\n`);
  }
  return 0;
}
