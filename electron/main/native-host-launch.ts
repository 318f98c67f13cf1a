/**
 * The desktop app as the browser extension's native host (DESIGN.md section 11). The host
 * manifests the app registers name a launcher that runs the app itself with
 * `--native-host`: the packaged app ships no Node of its own (the runAsNode fuse is off),
 * so the app is the host. Such a launch takes no single-instance lock and opens no window:
 * it relays the browser's messages through the local door and exits when the browser
 * closes the stream, starting the app first when a capture finds it not running. On
 * Windows the installer ships a stand-alone host instead (see nativeHostCommand).
 */
import * as path from 'node:path';

/** The flag the launcher passes; what follows it (`--data-dir DIR`, the browser's own arguments) is the host's. */
export const NATIVE_HOST_FLAG = '--native-host';

/** The host's arguments when this launch is the native host; null for an ordinary launch. */
export function nativeHostArgs(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(NATIVE_HOST_FLAG);
  return at === -1 ? null : argv.slice(at + 1);
}

export interface AppProcess {
  /** process.execPath: Electron's binary, the app's own executable once packaged. */
  execPath: string;
  /** process.defaultApp: `electron <app folder>` (development): the app folder is an argument. */
  defaultApp: boolean;
  /** The app folder, where defaultApp. */
  appPath: string;
  /** $APPIMAGE: an AppImage runs from a mount that moves at every start; this is the file to run. */
  appImage: string | undefined;
}

/** How to start this app again, as a program outside it would: the executable, then its arguments. */
export function appCommand(p: AppProcess): string[] {
  if (p.appImage) return [p.appImage];
  return p.defaultApp ? [p.execPath, p.appPath] : [p.execPath];
}

/** The stand-alone host the Windows installer ships in the app's resources (build/native-host-sea.mjs). */
export const WINDOWS_HOST_FILE = 'ferry-native-host.exe';

/**
 * What the launcher runs: the app as the native host; on Windows, the stand-alone host
 * shipped beside it, told where the app is (so it can start it): a windowed program there
 * gets no standard input (Electron gives its main process an empty one), and the browser
 * speaks to its host on standard input. Without that file (a development run) it says why.
 */
export function nativeHostCommand(p: AppProcess, platform: NodeJS.Platform, resourcesPath: string, exists: (file: string) => boolean): { command: string[] } | { unavailable: string } {
  if (platform === 'win32') {
    const host = path.win32.join(resourcesPath, WINDOWS_HOST_FILE);
    if (exists(host)) return { command: [host, '--app', appCommand(p)[0]!] };
    return {
      unavailable: `This Ferry has no ${WINDOWS_HOST_FILE} beside it (the installer ships it; a development run has none), and on Windows the app cannot be the browser extension's helper itself. Run ferry browser install from the command line.`,
    };
  }
  return { command: [...appCommand(p), NATIVE_HOST_FLAG] };
}
