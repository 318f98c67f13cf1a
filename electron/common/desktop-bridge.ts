import type { TransferClient } from './service';

/**
 * What the desktop app's preload puts on `window.ferry`: the typed client and the one file
 * system fact a sandboxed page cannot know, the path of a dropped file. Under `ferry serve`
 * there is no bridge; the window connects over a WebSocket instead.
 */
export interface DesktopBridge {
  client: TransferClient;
  /** The absolute path of a file dropped on the window (Electron's webUtils.getPathForFile). */
  pathForFile(file: unknown): string;
}

export const BRIDGE_KEY = 'ferry';

/** The window asks for its engine port on this IPC channel, and receives it on the next. */
export const CONNECT_CHANNEL = 'ferry:connect';
export const PORT_CHANNEL = 'ferry:port';
