/**
 * The engine's one public entry: what the CLI, `ferry serve` and the desktop shell may use.
 * Everything else under electron/engine is the engine's own business and may change shape
 * without them noticing; lint (eslint.config.mjs) holds electron/cli and electron/main to
 * this file. Tests and benches may reach deeper.
 */

// The engine itself, its options and inputs.
export { type AddDownload, type AddUpload, type Added, Engine, type EngineOptions } from './engine';
export type { RelinkResult } from './download/relink-download';
export type { Clock, DownloadTuning, EngineEvent } from './context';
export { DEFAULT_LIMITS, type Limits } from './scheduler/limits';
export type { Placement } from './scheduler/scheduler';
export type { WindowState } from './scheduler/time-windows';

// What can go wrong, as the hosts tell a person.
export { EngineClosedError, EngineError } from './scheduler/failures';
export { DataDirLockedError, StoreTooNewError } from './store/database';

// The engine with its service (the contract the window speaks), and what a host provides.
export { headlessHost, openEngineService } from './service/open-service';
export { ferryVersion } from './version';
export type { EngineService, ServiceHost } from './service/engine-service';
export { summarize } from './service/summary';
export { type DoorClient, type LocalDoor, connectLocalDoor, openLocalDoor } from './door/local-door';
export { doorAddress } from './door/socket-channel';
export { isMetalinkSource, loadMetalink } from './metalink/load';
export { MetalinkError, type MetalinkFile } from './metalink/parse';
export { KeyFileSecretBox, SealError, type SecretBox } from './secrets';
export { FetchTransport } from './http/fetch-transport';
export type { Transport } from './http/transport';

// Where things live, and the CLI's checks of its arguments.
export { defaultDataDir, defaultDownloadDir } from './data-dir';
export { ensureDir } from './fs/ensure-dir';
export { parseHeaderArgument } from './http/headers';
export { redactCredentials } from './http/url-credentials';
export { PUT_NEEDS_FOLDER_URL, collectFiles, uploadTarget } from './upload/collect';

// Browser capture (DESIGN.md section 11): the native host and its registration with browsers.
export { BROWSERS, type BrowserName } from '../common/browser-capture';
export { runNativeHost, startApp } from './browser-host/host-session';
export { type BrowserHostState, browserHostStates, installBrowserHosts, registerAtStart, uninstallBrowserHosts } from './browser-host/hosts';
