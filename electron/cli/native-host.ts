/**
 * `ferry native-host [--data-dir DIR]`: the host the browser starts for Ferry's extension
 * (electron/engine/browser-host/host-session.ts). The CLI's host never starts Ferry: when
 * none runs it answers `not-running` and the browser keeps its download (the desktop app's
 * host starts the app instead; a background server nobody asked for would surprise).
 */
import { runNativeHost } from '../engine';

export function commandNativeHost(args: string[]): Promise<number> {
  return runNativeHost(args, null);
}
