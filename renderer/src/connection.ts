/**
 * The window's TransferClient, whichever transport is behind it: the desktop preload's
 * bridge (`window.ferry`), or a WebSocket to `ferry serve` carrying the same contract.
 * A WebSocket that drops is reopened; the app takes a fresh snapshot each time.
 */
import { BRIDGE_KEY, type DesktopBridge } from '../../electron/common/desktop-bridge';
import { err } from '../../electron/common/result';
import { type Channel, createClient } from '../../electron/common/rpc';
import { type CallOptions, COMMAND_NAMES, type ServiceEvent, type TransferClient } from '../../electron/common/service';

export type ConnectionState = 'connecting' | 'open' | 'lost' | 'refused';

export interface Connection {
  client: TransferClient;
  /** The desktop app can tell us where a dropped file lives; a browser tab cannot. */
  pathForFile: ((file: File) => string) | null;
  /** Called with each state; 'open' means a new session: take a snapshot. */
  onState(listener: (state: ConnectionState, detail?: string) => void): () => void;
}

export function desktopBridge(): DesktopBridge | null {
  return (window as unknown as Record<string, DesktopBridge | undefined>)[BRIDGE_KEY] ?? null;
}

export function connect(): Connection {
  const bridge = desktopBridge();
  if (bridge) {
    return { client: bridge.client, pathForFile: (file) => bridge.pathForFile(file), onState: (listener) => (listener('open'), () => undefined) };
  }
  return websocketConnection(takeToken());
}

/** The token from the URL ferry serve printed; kept for reloads, and taken out of the address bar. */
function takeToken(): string {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('ferry-token', fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem('ferry-token') ?? '';
}

/** Whether ferry serve answers at all (it serves this page), as opposed to refusing the socket. */
async function serverAnswers(): Promise<boolean> {
  try {
    await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

function socketChannel(ws: WebSocket): Channel {
  return {
    send: (message) => ws.send(JSON.stringify(message)),
    onMessage(listener) {
      const handler = (event: MessageEvent): void => listener(JSON.parse(String(event.data)));
      ws.addEventListener('message', handler);
      return () => ws.removeEventListener('message', handler);
    },
    onClose(listener) {
      ws.addEventListener('close', listener, { once: true });
      return () => ws.removeEventListener('close', listener);
    },
    close: () => ws.close(),
  };
}

/** A client that always talks to the current socket; calls while there is none get a typed error. */
function websocketConnection(token: string): Connection {
  let current: (TransferClient & { dispose(): void }) | null = null;
  const eventListeners = new Set<(event: ServiceEvent) => void>();
  const stateListeners = new Set<(state: ConnectionState, detail?: string) => void>();
  let state: ConnectionState = 'connecting';
  let detail: string | undefined;
  let attempt = 0;
  /** The engine will not talk to this page (another version): said once, and no reconnecting. */
  let refusedWith: string | null = null;
  const setState = (next: ConnectionState, why?: string): void => {
    state = next;
    detail = why;
    for (const listener of [...stateListeners]) listener(next, why);
  };

  const open = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc?token=${encodeURIComponent(token)}`);
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      attempt = 0;
      current = createClient(socketChannel(ws), {
        onRefused: (message) => {
          refusedWith = message;
          setState('refused', message);
        },
      });
      current.onEvent((event) => {
        for (const listener of [...eventListeners]) listener(event);
      });
      setState('open');
    });
    ws.addEventListener('close', (event) => {
      current?.dispose();
      current = null;
      if (refusedWith !== null) return; // reconnecting would meet the same engine: the page must reload
      const retry = (): void => {
        attempt++;
        setTimeout(open, Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
      };
      if (opened || event.code === 1013) {
        setState('lost', event.code === 1013 ? 'Fell behind on updates; reconnecting.' : 'Lost the connection to Ferry; reconnecting…');
        return retry();
      }
      // A refused upgrade and a server that is not running both close before opening; only
      // the page's own address tells them apart: it answers while ferry serve runs.
      void serverAnswers().then((answers) => {
        if (!answers) setState('lost', 'Ferry is not running; reconnecting as soon as it is back…');
        else if (!token) return setState('refused', 'This page needs the address ferry serve printed, with its token.');
        else if (attempt >= 2) return setState('refused', 'ferry serve refused this page: open the exact URL it printed (with its token).');
        else setState('lost', 'Lost the connection to Ferry; reconnecting…');
        retry();
      });
    });
  };
  open();

  const client: Record<string, unknown> = {
    onEvent(listener: (event: ServiceEvent) => void) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  };
  for (const name of COMMAND_NAMES) {
    client[name] = (arg: unknown, options?: CallOptions) =>
      current
        ? (current as unknown as Record<string, (a: unknown, o?: CallOptions) => unknown>)[name]!(arg, options)
        : Promise.resolve(err(refusedWith !== null ? { code: 'version-mismatch', message: refusedWith } : { code: 'internal', message: 'Not connected to Ferry right now; try again in a moment.' }));
  }
  return {
    client: client as unknown as TransferClient,
    pathForFile: null,
    onState(listener) {
      stateListeners.add(listener);
      listener(state, detail);
      return () => stateListeners.delete(listener);
    },
  };
}
