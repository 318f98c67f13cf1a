/**
 * The one contract between the window and the engine (issue 5). The desktop app carries it
 * over Electron IPC, `ferry serve` over a WebSocket; the window holds a TransferClient and
 * never knows which. Every command answers a Result: expected failures (a bad argument, an
 * unknown id, a folder that cannot be written) come back as data, because a thrown error
 * loses everything but its message on the way across.
 */
import type { TransferError } from './errors';
import type { DigestSource, Integrity } from './integrity';
import type { Result } from './result';
import { type RateWindow, type TimeWindow, WEEKDAYS } from './time-windows';
import {
  type Infer,
  type InferInput,
  type Schema,
  array,
  boolean,
  httpUrl,
  integer,
  literal,
  none,
  nullable,
  object,
  optional,
  string,
  tuple,
} from './schema';
import type { Direction, HistoryEntry, TransferState, UploadProtocol } from './transfer';

// ---------------------------------------------------------------- what the window shows

/** One row of the queue: what a person sees at a glance. */
export interface TransferSummary {
  id: string;
  direction: Direction;
  state: TransferState;
  /** The file's name (the final one once known). */
  name: string;
  url: string;
  /** The download folder, or the folder the uploaded file is in. */
  dir: string;
  /** The finished file (downloads) or the file sent (uploads). */
  path: string | null;
  bytes: number;
  total: number | null;
  /** Bytes per second over the last few seconds; 0 when not moving. */
  speed: number;
  /** Seconds left at the current speed; null when unknown. */
  eta: number | null;
  integrity: Integrity;
  /** The SHA-256 of the finished bytes (downloads) or of the bytes sent (uploads); null until known. */
  sha256: string | null;
  /** True while the finished bytes are being hashed for the verdict. */
  checking: boolean;
  /**
   * Moving, but its last attempt failed and it is trying again: why, and since when. Gone
   * once bytes move again. A transfer never sits silent.
   */
  retrying: { message: string; since: number; delayMs: number } | null;
  error: TransferError | null;
  /** Queue order: higher priority first, then `seq` (first come first served). */
  priority: number;
  seq: number;
  resumes: number;
  restarts: number;
  createdAt: number;
  completedAt: number | null;
}

/** The fields of a row that changed since the last batch (always with its id). */
export type TransferChange = Partial<TransferSummary> & { id: string };

/** One resume of a download or upload, with the checks it passed. */
export interface ResumeRecord {
  at: number;
  offset: number;
  validator: string | null;
  /** The overlap check (DESIGN rule 6): what it compared and what it found. */
  overlap: string | null;
  segments: number | null;
}

export interface TransferDetails {
  summary: TransferSummary;
  urlChain: string[];
  effectiveUrl: string | null;
  validators: { etag: string | null; lastModified: string | null; ifRange: string | null };
  /** Uploads: the local file, how it is sent and the server's upload URL. */
  source: string | null;
  protocol: UploadProtocol | null;
  uploadUrl: string | null;
  sha256: string | null;
  resumes: ResumeRecord[];
  repairs: Array<{ at: number; blocks: number[] }>;
  restarts: Array<{ at: number; reason: string }>;
  /** Every error, in plain words with what to do (TransferError.message says both). */
  errors: Array<{ at: number; error: TransferError }>;
  history: HistoryEntry[];
  /**
   * Hosts of this transfer that asked for fewer connections (polite hosts, issue 15), each
   * with its sentence: "example.com allows 2 connections (…)". Empty when none did.
   */
  hostLimits: HostLimitInfo[];
  /** Where the reference digest came from and what it proves; null when there was none (yet). */
  reference?: ReferenceOrigin | null;
}

/** The reference behind a verdict, in words a person can weigh. */
export interface ReferenceOrigin {
  source: DigestSource;
  /** The checksum file's URL or path (source sidecar); null for a reference that came with the transfer. */
  from: string | null;
  /** What a match with it proves, and what it does not. */
  meaning: string;
}

/** A host held to fewer connections than the settings allow, and why. */
export interface HostLimitInfo {
  host: string;
  connections: number;
  reason: 'rate-limited' | 'refused-connections' | 'broken-ranges';
  /** When it last refused; recovery counts from then. */
  since: number;
  message: string;
}

// ---------------------------------------------------------------- settings

/** A header sent to an upload destination. Secret values never come back in full. */
export interface DestinationHeader {
  name: string;
  /** The value; for a secret, null when reading (see `hint`) or to keep the stored one. */
  value: string | null;
  secret: boolean;
  /** For a stored secret: its last characters, so a person can tell which one it is. */
  hint?: string | null;
}

export interface UploadDestination {
  id: string;
  name: string;
  url: string;
  protocol: UploadProtocol;
  headers: DestinationHeader[];
}

export interface Settings {
  downloadDir: string;
  maxActive: number;
  maxPerHost: number;
  maxConnections: number;
  /** Bytes per second for all transfers together; null for no limit. */
  bandwidth: number | null;
  stallTimeoutSeconds: number;
  /** Unfinished transfers continue when Ferry starts. */
  autoResume: boolean;
  /** Closing the window keeps Ferry running in the tray (desktop app). */
  keepRunningInTray: boolean;
  /** Downloads of 1 MiB or more without a checksum look for one beside them on their origin (SHA256SUMS, <file>.sha256...). */
  sidecarLookup: boolean;
  uploadDestinations: UploadDestination[];
  /** When the queue runs (common/time-windows.ts); empty: always. Transfers checkpoint and wait outside them. */
  activeHours: TimeWindow[];
  /** Rates that replace `bandwidth` inside their windows (rate null: no limit there). */
  bandwidthSchedule: RateWindow[];
}

/** What the host running the engine can and cannot do, so the window offers only what works. */
export interface HostInfo {
  kind: 'desktop' | 'serve';
  /** Reveal in folder and open file work (they need the desktop). */
  canRevealFiles: boolean;
  /** How secrets are kept: the OS keychain (safeStorage) or a key file in the data directory. */
  secretStorage: 'os-keychain' | 'key-file';
  dataDir: string;
  version: string;
}

export interface Snapshot {
  transfers: TransferSummary[];
  settings: Settings;
  host: HostInfo;
  /** The number of the last change batch included, so batches can be matched up. */
  batch: number;
}

// ---------------------------------------------------------------- events

/** Something a person should hear about: one summary for a batch of endings. */
export interface Notice {
  level: 'info' | 'error';
  title: string;
  body: string;
  ids: string[];
}

/** At most ten a second; only the fields that changed, and the ids removed. */
export type ChangesEvent = { type: 'changes'; batch: number; changes: TransferChange[]; removed: string[] };

export type ServiceEvent =
  | ChangesEvent
  | { type: 'notice'; notice: Notice }
  | { type: 'settings'; settings: Settings };

// ---------------------------------------------------------------- errors

export type ServiceErrorCode =
  /** An argument failed its schema; `field` names it. */
  | 'invalid-argument'
  /** No such method on the service. */
  | 'unknown-method'
  /** No transfer (or destination) with that id. */
  | 'not-found'
  /** The host cannot do this (e.g. reveal a file under `ferry serve`). */
  | 'unsupported'
  /** The request is well-formed but the world disagrees (folder not writable, file gone). */
  | 'rejected'
  /** The window and the engine speak different major versions of the protocol (rpc.ts): reload. */
  | 'version-mismatch'
  /** The caller canceled the call (an AbortSignal); a command already given may still take effect. */
  | 'canceled'
  | 'internal';

export interface ServiceError {
  code: ServiceErrorCode;
  /** One sentence a person can act on. */
  message: string;
  field?: string;
}

// ---------------------------------------------------------------- commands and their schemas

const ids = array(string({ max: 64 }), { min: 1, max: 100_000 });
const checksumText = string({ max: 200, expects: 'a checksum such as sha256:9f86d08…' });
const headerPair = tuple(string({ max: 256 }), string({ max: 8192, allowEmpty: true }));

const destinationHeader = object({
  name: string({ max: 256 }),
  value: nullable(string({ max: 8192, allowEmpty: true })),
  secret: boolean,
  hint: optional(string({ max: 64, allowEmpty: true })),
});

const destination = object({
  id: optional(string({ max: 64 })),
  name: string({ max: 200 }),
  url: httpUrl(),
  protocol: literal('tus', 'put'),
  headers: array(destinationHeader, { max: 64 }),
});

const hhmm = (end: boolean) => string({ max: 5, pattern: end ? /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/ : /^([01]\d|2[0-3]):[0-5]\d$/, expects: `a time HH:MM from 00:00 to ${end ? '24:00' : '23:59'}` });
const windowShape = { days: array(literal(...WEEKDAYS), { min: 1, max: 7 }), from: hhmm(false), to: hhmm(true) };
const timeWindow = object(windowShape);
const rateWindow = object({ ...windowShape, rate: nullable(integer(1, 2 ** 40)) });

/**
 * Each command's argument schema. The engine side checks every call against these before
 * anything runs; the TypeScript signature of each command is derived from the same schema.
 */
export const COMMANDS = {
  snapshot: none,
  addDownloads: object({
    urls: array(httpUrl(), { min: 1, max: 10_000 }),
    /** Null: the download folder from the settings. */
    dir: optional(string({ max: 4096 })),
    /** Only with a single URL. */
    name: optional(string({ max: 255 })),
    checksum: optional(checksumText),
    headers: optional(array(headerPair, { max: 64 })),
    /**
     * A URL already downloaded to the same place whose file still has its recorded SHA-256:
     * 'reuse' answers with that transfer (in `alreadyDone`) instead of fetching it again, as
     * `ferry get` does; 'download' (the default, the window's) fetches it anew.
     */
    ifDone: optional(literal('reuse', 'download')),
    /** Other links to the same file (a Metalink's mirrors), tried in order when one fails. Only with a single URL. */
    mirrors: optional(array(httpUrl(), { max: 64 })),
    /** A Metalink's piece hashes (RFC 5854 <pieces>), with a single URL. */
    pieces: optional(object({ length: integer(1, 2 ** 40), algorithm: literal('sha256', 'sha512', 'sha1', 'md5'), hashes: array(string({ max: 128 }), { max: 1_000_000 }) })),
    /** Where `checksum` came from: a person ('user', the default) or a Metalink. */
    checksumSource: optional(literal('user', 'metalink')),
    /**
     * Handed over by Ferry's browser extension (DESIGN.md section 11): the page the download
     * was started from, and where the browser's own request ended. Recorded in the
     * transfer's history ('captured'), so its details say where it came from.
     */
    capture: optional(object({ page: optional(httpUrl()), finalUrl: optional(httpUrl()) })),
    /** A checksum file for the downloads (`ferry get --checksum-file`): a URL, or an absolute path where the engine runs. */
    checksumFile: optional(string({ max: 4096 })),
    /** False: never search their origin for a checksum file (`--no-sidecar`). */
    sidecar: optional(boolean),
  }),
  /** Where to: a destination from the settings, or (`to`, as `ferry put --to` gives it) a URL of its own. One of the two. */
  addUploads: object({
    paths: array(string({ max: 4096 }), { min: 1, max: 10_000 }),
    destination: optional(string({ max: 64 })),
    to: optional(
      object({
        url: httpUrl(),
        protocol: literal('tus', 'put'),
        headers: array(headerPair, { max: 64 }),
      }),
    ),
  }),
  pause: object({ ids }),
  resume: object({ ids }),
  cancel: object({ ids }),
  retry: object({ ids }),
  /** `deleteFiles`: whether finished files go too (partials always do). Required: no default. */
  remove: object({ ids, deleteFiles: boolean }),
  move: object({ id: string({ max: 64 }), placement: literal('top', 'up', 'down', 'bottom') }),
  setPriority: object({ id: string({ max: 64 }), priority: integer(-1000, 1000) }),
  pauseAll: none,
  resumeAll: none,
  getSettings: none,
  setSettings: object({
    downloadDir: optional(string({ max: 4096 })),
    maxActive: optional(integer(1, 64)),
    maxPerHost: optional(integer(1, 64)),
    maxConnections: optional(integer(1, 16)),
    /** 0 clears the limit. */
    bandwidth: optional(integer(0, 2 ** 40)),
    stallTimeoutSeconds: optional(integer(5, 3600)),
    autoResume: optional(boolean),
    keepRunningInTray: optional(boolean),
    sidecarLookup: optional(boolean),
    uploadDestinations: optional(array(destination, { max: 100 })),
    /** Replace the whole list; [] removes them (always active, no schedule). */
    activeHours: optional(array(timeWindow, { max: 28 })),
    bandwidthSchedule: optional(array(rateWindow, { max: 28 })),
  }),
  /**
   * Forgets finished transfers (never their files): those in the states named. Required,
   * no default: clearing failed ones too is a choice a person makes.
   */
  clearFinished: object({ states: array(literal('completed', 'failed', 'canceled'), { min: 1, max: 3 }) }),
  details: object({ id: string({ max: 64 }) }),
  /**
   * A new link for an unfinished download (DESIGN.md section 10): taken only when it proves
   * to serve the same bytes, and then the download continues from them; refused (`rejected`,
   * with the reason) otherwise, and nothing changes.
   */
  relink: object({ id: string({ max: 64 }), url: httpUrl() }),
  reveal: object({ id: string({ max: 64 }) }),
  openFile: object({ id: string({ max: 64 }) }),
  /** Browser capture (DESIGN.md section 11): which browsers can reach this Ferry through its native host. */
  browserHosts: none,
  /** Registers Ferry's host with every browser found (`install`), or removes it from every browser. */
  setBrowserHosts: object({ install: boolean }),
} satisfies Record<string, Schema<unknown, unknown>>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];
/** A command's argument once checked (optional fields read as null). */
export type CommandArgument<K extends CommandName> = Infer<(typeof COMMANDS)[K]>;
/** A command's argument as a caller writes it (optional fields may be left out). */
export type CommandInput<K extends CommandName> = InferInput<(typeof COMMANDS)[K]>;

/** What each command answers when it succeeds. */
export interface CommandValues {
  snapshot: Snapshot;
  /** `existing`: unfinished transfers continued; `alreadyDone`: finished ones reused (ifDone 'reuse'). */
  addDownloads: { ids: string[]; existing: string[]; alreadyDone: string[] };
  addUploads: { ids: string[]; existing: string[]; skipped: Array<{ path: string; reason: string }> };
  pause: null;
  resume: null;
  cancel: null;
  retry: null;
  remove: null;
  move: null;
  setPriority: null;
  pauseAll: null;
  resumeAll: null;
  getSettings: Settings;
  setSettings: Settings;
  /** How many transfers were forgotten; the windows hear which in the next change batch. */
  clearFinished: { removed: number };
  details: TransferDetails;
  /** How the new link proved itself; whether headers given for the old origin were dropped. */
  relink: { how: string; droppedHeaders: boolean };
  reveal: null;
  openFile: null;
  browserHosts: BrowserHosts;
  setBrowserHosts: BrowserHosts;
}

/** Whether the browsers this person uses can hand downloads to this Ferry (its extension's host is registered). */
export interface BrowserHosts {
  /** Null: this Ferry can register its host; otherwise why not. */
  unavailable: string | null;
  /** Every browser Ferry knows, found on this machine or not. */
  browsers: Array<{ browser: string; found: boolean; installed: boolean }>;
}

/**
 * The service, as the engine implements it and as a client calls it: one method per
 * command, each taking its argument object and answering a Result.
 */
export type TransferService = {
  [K in CommandName]: (argument: CommandInput<K>, options?: CallOptions) => Promise<Result<CommandValues[K], ServiceError>>;
};

/** Per call: `signal` cancels it (the answer is then a `canceled` error at once). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** What the window holds: the service, plus its events. */
export type TransferClient = TransferService & {
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: ServiceEvent) => void): () => void;
};

/** The engine-side implementation, which also publishes events. */
export interface ServiceImplementation {
  /** `signal` aborts when the caller cancels or goes away; the answer is no longer waited for. */
  call<K extends CommandName>(name: K, argument: CommandArgument<K>, signal?: AbortSignal): Promise<Result<CommandValues[K], ServiceError>>;
  onEvent(listener: (event: ServiceEvent) => void): () => void;
}
