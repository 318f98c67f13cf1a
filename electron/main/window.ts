import * as path from 'node:path';
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_PAGE_URL } from './app-origin';

/**
 * The one window: sandboxed, isolated, no Node, its only way out the preload's typed client.
 * Its page comes from app://ferry (app-protocol.ts), never from file://.
 */
export function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: 'Ferry',
    // Linux shows this in the window list; macOS and Windows take the icon from the app bundle.
    icon: path.join(__dirname, '..', '..', '..', 'build', 'icons', '256x256.png'),
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#17181b' : '#ffffff',
    webPreferences: {
      preload: path.join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.removeMenu();
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_PAGE_URL);
  return win;
}
