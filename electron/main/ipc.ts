import { type IpcMainEvent, ipcMain } from 'electron';
import { CONNECT_CHANNEL, PORT_CHANNEL } from '../common/desktop-bridge';
import type { EngineHost } from './engine-host';

/**
 * The only IPC the window has: it asks for a port to the engine, and gets one only when the
 * request comes from the app's own page in its top frame (not an iframe, not a page it
 * navigated to). Everything after that travels over the port with the service contract,
 * whose every argument the engine checks.
 */
export function serveWindowConnections(host: EngineHost, isAppPage: (url: string) => boolean): () => void {
  const onConnect = (event: IpcMainEvent): void => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isAppPage(frame.url)) {
      console.warn(`ferry: refused an engine connection from ${frame?.url ?? 'a destroyed frame'}`);
      return;
    }
    event.sender.postMessage(PORT_CHANNEL, null, [host.connect()]);
  };
  ipcMain.on(CONNECT_CHANNEL, onConnect);
  return () => ipcMain.off(CONNECT_CHANNEL, onConnect);
}
