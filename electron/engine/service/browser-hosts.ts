import { type Result, err, ok } from '../../common/result';
import type { BrowserHosts, ServiceError } from '../../common/service';
import { browserHostStates, installBrowserHosts, uninstallBrowserHosts } from '../browser-host/hosts';

/**
 * The service's part of browser capture: Settings shows which browsers reach this Ferry and
 * offers to register its native host with them. Only a host that knows how to start the
 * native host (the desktop app, `ferry serve` from the CLI) can; the files are written
 * where this Ferry runs, for the person it runs as.
 */
export type NativeHostCommand =
  /** What the launcher runs: `[node, ferry.js, 'native-host']` or `[the app, '--native-host']`. */
  | { command: string[] }
  /** Why this Ferry cannot be the browser's host, in a sentence with the way out. */
  | { unavailable: string };

const CANNOT = 'This Ferry cannot start a host for the browser extension: use ferry browser install from the command line.';

export function browserHostsOf(dataDir: string, nativeHost: NativeHostCommand | null): BrowserHosts {
  if (!nativeHost || 'unavailable' in nativeHost) return { unavailable: nativeHost?.unavailable ?? CANNOT, browsers: [] };
  return { unavailable: null, browsers: browserHostStates(dataDir).map(({ browser, found, installed }) => ({ browser, found, installed })) };
}

export function setBrowserHosts(dataDir: string, nativeHost: NativeHostCommand | null, install: boolean): Result<BrowserHosts, ServiceError> {
  if (!nativeHost || 'unavailable' in nativeHost) return err({ code: 'unsupported', message: nativeHost?.unavailable ?? CANNOT });
  try {
    if (!install) uninstallBrowserHosts(dataDir);
    else if (installBrowserHosts(dataDir, nativeHost.command, 'found').length === 0) {
      return err({ code: 'rejected', message: 'No browser found: Ferry looks for Chromium, Chrome, Edge, Brave, Vivaldi and Firefox in your profile folders. Start the browser once, then try again.' });
    }
  } catch (error) {
    return err({ code: 'rejected', message: `The browsers could not be set up: ${(error as Error).message}` });
  }
  return ok(browserHostsOf(dataDir, nativeHost));
}
