/**
 * The preload: the window's only door. It exposes the typed TransferClient (over a
 * MessagePort the main process hands to the app's own page) and the path of dropped
 * files; no ipcRenderer, no Node, nothing else.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { Channel } from '../common/rpc';
import { createClient } from '../common/rpc';
import { BRIDGE_KEY, CONNECT_CHANNEL, type DesktopBridge, PORT_CHANNEL } from '../common/desktop-bridge';

/** A channel whose port arrives a moment later: messages sent before then wait for it. */
function deferredPortChannel(): Channel {
  let port: MessagePort | null = null;
  const pending: unknown[] = [];
  const messageListeners = new Set<(message: unknown) => void>();
  const closeListeners = new Set<() => void>();
  ipcRenderer.once(PORT_CHANNEL, (event) => {
    const received = event.ports[0];
    if (!received) return;
    port = received;
    port.onmessage = (e: MessageEvent) => {
      for (const listener of [...messageListeners]) listener(e.data);
    };
    port.addEventListener('close', () => {
      for (const listener of [...closeListeners]) listener();
    });
    port.start();
    for (const message of pending.splice(0)) port.postMessage(message);
  });
  ipcRenderer.send(CONNECT_CHANNEL);
  return {
    send(message) {
      if (port) port.postMessage(message);
      else pending.push(message);
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close() {
      port?.close();
    },
  };
}

const client = createClient(deferredPortChannel());

const bridge: DesktopBridge = {
  client,
  pathForFile(file) {
    // The File crosses the context bridge from the page's world; webUtils checks what it is.
    try {
      return webUtils.getPathForFile(file as File);
    } catch {
      throw new TypeError('pathForFile takes a File from a drop or a file input');
    }
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
