/**
 * Browser capture (DESIGN.md section 11): what Ferry's extension and `ferry native-host`
 * say to each other over the browser's native messaging. Both sides check every message
 * against these schemas; the host relays only these two commands to the engine (adding a
 * download with its session, and the popup's view of the queue), never settings or files.
 */
import { type Result, err, ok } from './result';
import {
  type Infer,
  type InferInput,
  type Schema,
  array,
  httpUrl,
  integer,
  none,
  object,
  optional,
  string,
  validate,
} from './schema';
import type { ServiceErrorCode, TransferSummary } from './service';

/** The native-messaging host's name, as the manifests and the extension call it. */
export const HOST_NAME = 'app.ferry.host';

/**
 * The public key that pins the Chromium extension's ID (its SubjectPublicKeyInfo, base64):
 * the ID is the first 32 hex digits of its SHA-256, written with the letters a to p.
 */
export const CHROMIUM_EXTENSION_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnaOto4/75noesj+vmkE0ig3E4QacV6dhs+2pt89bh1C4X/fYmQlvaWQbJjDQHXXGSseATlMnB/Ty0/ouCOALIlxdpr3mzH5p30zwkk7RvSgESGDTMGryVEigS+H2DRR5WooTfGfG3m//XZ8u4JLsUYDeA7JsuxyLai6Mzl7wP56WU7q6IzZkPqB2KhJXudzb8Ddju1ayMqCdjDES1Qx8q+BampwM5m1rlM0bhsreBVJJIccwSFoCkpnwXvy8tkGlIufhSvqDnSMDdP9C2uJ8RbnCj92upBT7517E/Nr6cNAY2JdS7a5E1wTJCmIxBiWgueWKyxXhBpZFBbXbeJ5vbwIDAQAB';
export const CHROMIUM_EXTENSION_ID = 'apapkcejedafbcbociiigilnhfknakae';
/** The only origin a Chromium-family browser may start the host for. */
export const CHROMIUM_EXTENSION_ORIGIN = `chrome-extension://${CHROMIUM_EXTENSION_ID}/`;
/** Firefox names extensions by the id in their manifest's browser_specific_settings. */
export const FIREFOX_EXTENSION_ID = 'capture@ferry.app';

/** A message from the extension longer than this is refused (and the host stops reading: the stream cannot be trusted after it). */
export const MAX_REQUEST_BYTES = 1 << 20;
/** Chromium refuses a message from a host over 1 MB; the host's answers stay below. */
export const MAX_REPLY_BYTES = 1_000_000;
/** The popup shows at most this many transfers. */
export const STATUS_LIMIT = 50;

/** One download as the browser saw it. Its cookies and referrer go to its URL's origin only. */
const capturedDownload = object({
  url: httpUrl(),
  /** Where the browser's request ended after redirects; recorded, not fetched (Ferry follows the URL itself). */
  finalUrl: optional(httpUrl()),
  /** The name the browser suggested; a plain file name only (Ferry picks the folder). */
  name: optional(string({ max: 255 })),
  /** The page the download was started from. */
  referrer: optional(httpUrl()),
  /** The Cookie header for the URL, as the browser would send it (at most what a header may hold in the contract). A secret. */
  cookies: optional(string({ max: 8192, allowEmpty: true })),
});

/**
 * The commands of the host, with their argument schemas. There is no folder to choose: a
 * capture always lands in the download folder of Ferry's settings.
 */
/** The browsers Ferry registers its host with (DESIGN.md section 11). */
export const BROWSERS = ['chromium', 'chrome', 'edge', 'brave', 'vivaldi', 'firefox'] as const;
export type BrowserName = (typeof BROWSERS)[number];

export const HOST_COMMANDS = {
  capture: object({
    downloads: array(capturedDownload, { min: 1, max: 1000 }),
    userAgent: optional(string({ max: 1024 })),
  }),
  status: none,
  /** The popup's Open button: the desktop app's window comes forward (the app starts if it is not running), or `ferry serve`'s address. */
  open: none,
};
export type HostCommand = keyof typeof HOST_COMMANDS;
export type HostArgument<K extends HostCommand> = Infer<(typeof HOST_COMMANDS)[K]>;
export type HostInput<K extends HostCommand> = InferInput<(typeof HOST_COMMANDS)[K]>;
export type CapturedDownload = Infer<typeof capturedDownload>;

const requestEnvelope = object({
  id: integer(0, 2 ** 31),
  method: string({ max: 64 }),
  arg: optional(unknownValue()),
});

/** Any value at all: the command's own schema checks it next. */
function unknownValue(): Schema<unknown> {
  return { expects: 'the command\'s argument', check: (value) => value };
}

export type HostRequest = { [K in HostCommand]: { id: number; method: K; arg: HostArgument<K> } }[HostCommand];

/**
 * A message from the extension, checked: the envelope `{id, method, arg}`, a command the
 * host has, and its argument against that command's schema. Anything else is an error
 * naming the field (with the request's id when it had a usable one).
 */
export function checkHostRequest(message: unknown): Result<HostRequest, { id: number | null; error: HostError }> {
  const envelope = validate(requestEnvelope, message);
  if (!envelope.ok) {
    const id = typeof message === 'object' && message !== null && Number.isSafeInteger((message as { id?: unknown }).id) ? ((message as { id: number }).id) : null;
    return err({ id: id !== null && id >= 0 && id <= 2 ** 31 ? id : null, error: { code: 'invalid-message', message: envelope.error.message, field: envelope.error.at } });
  }
  const { id, method, arg } = envelope.value;
  if (!Object.hasOwn(HOST_COMMANDS, method)) {
    return err({ id, error: { code: 'invalid-message', message: `the host has no command ${JSON.stringify(method)}; it has ${Object.keys(HOST_COMMANDS).join(', ')}`, field: 'method' } });
  }
  const command = method as HostCommand;
  const checked = validate(HOST_COMMANDS[command] as Schema<unknown, unknown>, arg, 'arg');
  if (!checked.ok) return err({ id, error: { code: 'invalid-message', message: `${command}: ${checked.error.message}`, field: checked.error.at } });
  return ok({ id, method: command, arg: checked.value } as HostRequest);
}

/** One row of the popup: a slim TransferSummary. */
export type BrowserTransferView = Pick<TransferSummary, 'id' | 'name' | 'state' | 'bytes' | 'total' | 'speed'> & {
  verdict: TransferSummary['integrity']['status'];
  checking: boolean;
  error: string | null;
};

export interface HostValues {
  /** `added`: transfers Ferry took; `existing`: unfinished ones it continues instead. */
  capture: { ids: string[]; existing: string[] };
  /** `open`: where Ferry's window opens in the browser (`ferry serve`); null for the desktop app. */
  status: { transfers: BrowserTransferView[]; more: number; host: { kind: 'desktop' | 'serve'; version: string }; open: string | null };
  /** `url`: the page to open (`ferry serve`'s window); null when the desktop app brought its own window forward. */
  open: { url: string | null };
}

export type HostErrorCode =
  | ServiceErrorCode
  /** No Ferry runs on the data directory: the browser keeps the download. */
  | 'not-running'
  /** The message was not one of the host's: bad framing, JSON or schema. */
  | 'invalid-message'
  /** The host was started by something other than Ferry's extension. */
  | 'forbidden';

export interface HostError {
  code: HostErrorCode;
  message: string;
  field?: string;
}

export type HostReply<K extends HostCommand = HostCommand> =
  | { id: number | null; ok: true; value: HostValues[K] }
  | { id: number | null; ok: false; error: HostError };

/** The row the popup shows for a transfer. */
export function browserView(summary: TransferSummary): BrowserTransferView {
  return {
    id: summary.id,
    name: summary.name,
    state: summary.state,
    bytes: summary.bytes,
    total: summary.total,
    speed: summary.speed,
    verdict: summary.integrity.status,
    checking: summary.checking,
    error: summary.error?.message ?? null,
  };
}

/** Which transfers the popup shows: the moving and waiting ones first, then the latest ended ones. */
export function popupRows(transfers: readonly TransferSummary[], limit = STATUS_LIMIT): { rows: BrowserTransferView[]; more: number } {
  const rank = (t: TransferSummary): number => (t.state === 'active' ? 0 : t.state === 'queued' || t.state === 'paused' ? 1 : 2);
  const sorted = [...transfers].sort((a, b) => rank(a) - rank(b) || (b.completedAt ?? b.createdAt) - (a.completedAt ?? a.createdAt));
  return { rows: sorted.slice(0, limit).map(browserView), more: Math.max(0, sorted.length - limit) };
}
