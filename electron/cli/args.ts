/**
 * The CLI's arguments as a person types them: parsed strictly, and every mistake said in
 * one sentence that names the flag and the way out (a UsageError: exit 2, nothing started).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, type Limits, ensureDir, parseHeaderArgument, redactCredentials } from '../engine';
import { explainParseError } from './arg-errors';
import { CHECKSUM_FILE_USERINFO, hasUserinfo } from '../common/integrity';

export class UsageError extends Error {}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'] & object;

/** parseArgs, with its errors said for a person (did you mean...?). */
export function parse<O extends Options>(args: string[], options: O, command: string, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    const known = Object.keys(options);
    const sentence = explainParseError(error, command, known);
    throw sentence ? new UsageError(sentence) : error;
  }
}

export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const TRANSFER_OPTIONS = {
  ...COMMON_OPTIONS,
  connections: { type: 'string' },
  'max-active': { type: 'string' },
  'max-per-host': { type: 'string' },
  'stall-timeout': { type: 'string' },
  header: { type: 'string', multiple: true },
  'active-hours': { type: 'string', multiple: true },
  'limit-rate-schedule': { type: 'string', multiple: true },
} as const;

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} must be a whole number of at least 1, got "${value}"`);
  return Number(value);
}

export function transferLimits(values: { 'max-active'?: string; 'max-per-host'?: string; connections?: string }): Omit<Limits, 'bandwidth'> {
  return {
    maxActive: positiveInt(values['max-active'], 'max-active', DEFAULT_LIMITS.maxActive),
    maxPerHost: positiveInt(values['max-per-host'], 'max-per-host', DEFAULT_LIMITS.maxPerHost),
    maxConnections: positiveInt(values.connections, 'connections', DEFAULT_LIMITS.maxConnections),
  };
}

/** The engine-wide flags a person gave, by name: a running Ferry keeps its own settings instead. */
export function engineFlagsGiven(values: Record<string, unknown>): string[] {
  return ['connections', 'max-active', 'max-per-host', 'stall-timeout', 'limit-rate', 'active-hours', 'limit-rate-schedule'].filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`);
}

/** Bytes per second: a whole number, optionally with K, M or G (powers of 1024), e.g. 500K. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!m || !(value >= 1)) throw new UsageError(`--limit-rate must be bytes per second, such as 500000, 500K or 2M; got "${text}"`);
  return Math.floor(value);
}

export function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${redactCredentials(text)}" is not a URL; give a full address such as https://example.com/file.iso`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${redactCredentials(text)}" uses ${url.protocol.replace(':', '')}; Ferry downloads http and https URLs only`);
  }
  // A user:pass@ stays in: the engine turns it into a sealed Basic header and drops it from the URL.
  return url.href;
}

/**
 * The URLs of an --input-file (`-` for standard input): one a line, blank lines and lines
 * starting with # ignored. A line that is no URL is named by its number.
 */
export function readUrlList(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : path.resolve(file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read the input file ${file} (${code}); give a file with one URL a line, or - for standard input`);
  }
  const urls: string[] = [];
  const shown = file === '-' ? 'standard input' : file;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      urls.push(parseUrl(line));
    } catch (error) {
      throw new UsageError(`${shown}, line ${i + 1}: ${(error as Error).message}`);
    }
  }
  return urls;
}

/**
 * --checksum-file: a web address as given, or a local file proven readable now (exit 2
 * otherwise) and passed on as an absolute path. Never together with --checksum.
 */
export function parseChecksumFile(value: string | undefined, checksum: string | undefined): string | null {
  if (value === undefined) return null;
  if (checksum !== undefined) throw new UsageError('--checksum and --checksum-file both name the reference; give one of them');
  if (/^https?:\/\//i.test(value)) {
    const url = parseUrl(value);
    if (hasUserinfo(url)) throw new UsageError(`--checksum-file: ${CHECKSUM_FILE_USERINFO}`);
    return url;
  }
  const file = path.resolve(value);
  try {
    if (!fs.statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'not a file' });
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read the checksum file ${file} (${code}); give a readable file or a URL to --checksum-file`);
  }
  return file;
}

export function parseHeaders(values: string[] | undefined): Array<[string, string]> {
  return (values ?? []).map((text) => {
    const parsed = parseHeaderArgument(text);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    return parsed;
  });
}

/** A folder to download into, proven writable before anything starts. */
export interface DownloadFolder {
  path: string;
  /** Removes the folder when this command created it and nothing was put in it: a failed get leaves no empty folder behind. */
  tidy(): void;
}

/** Creates `dir` if missing (remembering that it did) and proves it writable. */
export function prepareDir(dir: string): DownloadFolder {
  const resolved = path.resolve(dir);
  const created = firstMissing(resolved);
  const tidy = (): void => {
    if (created === null) return;
    // Innermost first; a folder that holds anything (a partial, a finished file) stays.
    for (let at = resolved; at.length >= created.length; at = path.dirname(at)) {
      try {
        fs.rmdirSync(at);
      } catch {
        return;
      }
    }
  };
  try {
    ensureDir(resolved);
    fs.accessSync(resolved, fs.constants.W_OK);
  } catch (error) {
    tidy();
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot write to the folder ${resolved} (${code}); choose another with --dir`);
  }
  if (!fs.statSync(resolved).isDirectory()) throw new UsageError(`${resolved} is not a folder; choose another with --dir`);
  return { path: resolved, tidy };
}

/** The outermost folder of `dir` that does not exist yet, or null when `dir` exists. */
function firstMissing(dir: string): string | null {
  let missing: string | null = null;
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) {
    missing = at;
    if (path.dirname(at) === at) break;
  }
  return missing;
}
