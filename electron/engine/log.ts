import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The engine's log: `ferry.log` in the data directory, one line per record
 * (`<ISO time> <LEVEL> <message> <JSON detail>`), rotated to `ferry.log.1` .. `.3` at about
 * 1 MiB. Records are buffered and written about once a second, so a busy queue costs no
 * write per event; errors are written at once, and whatever is buffered is written before
 * the process exits.
 *
 * No secret ever reaches the file, whatever a caller hands in: the logger itself redacts
 * detail keys that name credentials (authorization, cookie, token, password...), every
 * value under a `headers` key, the userinfo of any URL, URL query parameters named like
 * credentials, and `Bearer`/`Basic` credentials in free text.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogDetail = Record<string, unknown>;

export interface Logger {
  error(message: string, detail?: LogDetail): void;
  warn(message: string, detail?: LogDetail): void;
  info(message: string, detail?: LogDetail): void;
  debug(message: string, detail?: LogDetail): void;
  /** Writes what is buffered now. */
  flush(): void;
  /** Writes what is buffered and stops; records after this are dropped. */
  close(): void;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export const LOG_FILE = 'ferry.log';

/** A logger that drops everything. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {}, flush() {}, close() {} };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

export interface FileLoggerOptions {
  /** Records above this level are dropped before any work is done (default info). */
  level?: LogLevel;
  /** The file is rotated before it would grow past this (default 1 MiB). */
  maxBytes?: number;
  /** Rotated files kept: ferry.log.1 (newest) .. ferry.log.N (default 3). */
  keep?: number;
  /** How long a record may wait in memory (default 1 s). */
  flushIntervalMs?: number;
  /** What a clock says now (tests). */
  now?: () => Date;
}

/** Loggers with something buffered, flushed when the process exits (one hook for all). */
const openLoggers = new Set<FileLogger>();
let exitHooked = false;

/** A rotating log file in `dir`; a logger never throws, a failed write is dropped. */
export class FileLogger implements Logger {
  readonly file: string;
  private readonly level: number;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly flushIntervalMs: number;
  private readonly now: () => Date;
  private buffer: string[] = [];
  private buffered = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private fd: number | null = null;
  private size = 0;
  private closed = false;

  constructor(dir: string, options: FileLoggerOptions = {}) {
    this.file = path.join(dir, LOG_FILE);
    this.level = RANK[options.level ?? 'info'];
    this.maxBytes = options.maxBytes ?? 1 << 20;
    this.keep = options.keep ?? 3;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.now = options.now ?? (() => new Date());
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', () => {
        for (const logger of openLoggers) logger.flush();
      });
    }
  }

  error(message: string, detail?: LogDetail): void {
    this.record('error', message, detail);
    this.flush(); // an error is on disk before anything else can go wrong
  }

  warn(message: string, detail?: LogDetail): void {
    this.record('warn', message, detail);
  }

  info(message: string, detail?: LogDetail): void {
    this.record('info', message, detail);
  }

  debug(message: string, detail?: LogDetail): void {
    this.record('debug', message, detail);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    openLoggers.delete(this);
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.buffered = 0;
    try {
      this.open();
      if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
      fs.writeSync(this.fd!, chunk);
      this.size += chunk.length;
    } catch {
      // A log must never stop a transfer: a full disk or a removed folder drops these records.
      this.closeFile();
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.closeFile();
  }

  private record(level: LogLevel, message: string, detail: LogDetail | undefined): void {
    if (this.closed || RANK[level] > this.level) return;
    const text = redactText(message).replace(/[\r\n]+/g, ' ');
    const json = detail === undefined ? '' : ` ${safeJson(redact(detail))}`;
    const line = `${this.now().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}${json}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    openLoggers.add(this);
    if (this.buffered >= 64 << 10) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref?.();
    }
  }

  private open(): void {
    if (this.fd !== null) return;
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** ferry.log -> ferry.log.1 -> ... -> ferry.log.<keep>; the oldest is replaced. */
  private rotate(): void {
    this.closeFile();
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // not there yet
      }
    }
    if (this.keep > 0) fs.renameSync(this.file, `${this.file}.1`);
    else fs.rmSync(this.file, { force: true });
    this.open();
  }

  private closeFile(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }
}

// ---------------------------------------------------------------- redaction

export const REDACTED = '[redacted]';

/** Detail keys whose value is a secret, whatever it looks like. */
const SECRET_KEY = /authorization|cookie|token|passw(or)?d|secret|api[-_]?key|credential|signature|session|^auth$|^x-auth/i;
/** Detail keys that hold headers: names are kept, every value goes. */
const HEADERS_KEY = /headers$/i;
/** Query parameters that carry credentials in signed and tokened links. */
const SECRET_PARAM = /([?&;][^=&#\s"]*(?:token|key|sig|signature|secret|passw|auth|credential|session)[^=&#\s"]*=)[^&#\s"]*/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"]+@/gi;
const CREDENTIAL_TEXT = /\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key)(\s*[:=]\s*)[^\r\n"]*/gi;
const SCHEME_CREDENTIAL = /\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{4,}/g;

/**
 * Text none of the patterns above can match: no '@' (userinfo), no '=' (a parameter), no
 * credential header's name and no scheme word. Most of what is logged (ids, names, plain
 * URLs, paths, digests) skips the four replacements (issue 13: two records a file).
 */
const MAY_HOLD_SECRET = /[@=]|authorization|cookie|api-key|bearer|basic|digest|token/i;

/** Free text with every credential it may carry replaced. */
export function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(CREDENTIAL_TEXT, `$1$2${REDACTED}`)
    .replace(SCHEME_CREDENTIAL, `$1 ${REDACTED}`);
}

/** A copy of `value` fit for the log: secrets redacted, errors with their stacks, cycles cut. */
export function redact(value: unknown, depth = 0, seen = new Set<unknown>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
    return value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth > 8) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, depth, seen);
    if (Array.isArray(value)) return value.slice(0, 200).map((v) => redact(v, depth + 1, seen));
    if (value instanceof URL) return redactText(value.href);
    if (value instanceof Date) return value.toISOString();
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of value instanceof Map ? value.entries() : Object.entries(value)) {
      const name = String(key);
      if (SECRET_KEY.test(name)) out[name] = inner === null || inner === undefined ? inner : REDACTED;
      else if (HEADERS_KEY.test(name)) out[name] = redactHeaders(inner);
      else out[name] = redact(inner, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Headers as pairs, objects or Headers-likes: the names stay, the values go. */
function redactHeaders(headers: unknown): unknown {
  if (Array.isArray(headers)) return headers.map((h) => (Array.isArray(h) ? [String(h[0]), REDACTED] : REDACTED));
  if (headers !== null && typeof headers === 'object') {
    const entries = typeof (headers as { entries?: unknown }).entries === 'function' && !Array.isArray(headers)
      ? [...(headers as { entries(): Iterable<[unknown, unknown]> }).entries()]
      : Object.entries(headers);
    return Object.fromEntries(entries.map(([k]) => [String(k), REDACTED]));
  }
  return headers === null || headers === undefined ? headers : REDACTED;
}

function redactError(error: Error, depth: number, seen: Set<unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined) out.code = code;
  if (error.stack) out.stack = redactText(error.stack);
  if (error.cause !== undefined) out.cause = redact(error.cause, depth + 1, seen);
  for (const [key, inner] of Object.entries(error)) {
    if (key in out || key === 'cause') continue;
    out[key] = SECRET_KEY.test(key) ? REDACTED : HEADERS_KEY.test(key) ? redactHeaders(inner) : redact(inner, depth + 1, seen);
  }
  return out;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"[unserializable]"';
  }
}
