/**
 * Messages between the main process and the engine's utility process. The window never
 * sees these: it talks to the engine over its own MessagePort, with the service contract.
 */
import type { Result } from '../common/result';
import type { ServiceError } from '../common/service';

export type PowerEvent = 'suspend' | 'wake' | 'offline' | 'online';

export type ToEngine =
  /** `nativeHost`: what the browser extension's host launcher runs (the app with --native-host), or why the app cannot be the host. */
  | { type: 'init'; dataDir: string; downloadDir: string; version: string; nativeHost: { command: string[] } | { unavailable: string }; secretStorage: 'os-keychain' | 'key-file' }
  /** Comes with a MessagePort: serve the TransferService on it. */
  | { type: 'connect' }
  | { type: 'power'; event: PowerEvent }
  | { type: 'answer'; id: number; result: Result<string | null, ServiceError> }
  | { type: 'shutdown' };

/** What the engine asks of the main process: things only the main process can do. */
export type HostRequest = { kind: 'seal' | 'unseal' | 'reveal' | 'open'; text: string };

export type FromEngine =
  | { type: 'ready' }
  /** The engine could not open its data directory; `locked` when another Ferry holds it. */
  | { type: 'failed'; message: string; locked: boolean }
  | ({ type: 'request'; id: number } & HostRequest)
  | { type: 'closed' };
