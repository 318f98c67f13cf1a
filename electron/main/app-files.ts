/**
 * What app://ferry/… answers: a file of the built window (out/renderer), or a refusal.
 * Pure Node, no Electron: app-protocol.ts hands every request here and turns the answer
 * into a Response.
 *
 * Chromium already normalises a standard scheme's URLs (it resolves `..`, also as
 * `%2e%2e`), so most tricks never arrive; this refuses them anyway, on the URL as given,
 * because the handler is the last thing between a URL and the disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WINDOW_MIME_TYPES } from '../common/window-assets';
import { APP_ORIGIN, WINDOW_CSP } from './app-origin';

// The callback forms: Electron's asar support wraps them (the app's files are inside app.asar).
const realpath = promisify(fs.realpath);
const stat = promisify(fs.stat);
const readFile = promisify(fs.readFile);

const MIME_TYPES = WINDOW_MIME_TYPES;

/** A name part: letters, digits, `_`, `-` and dots, not starting with a dot (no `..`, no dotfiles). */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export type AppPath = { ok: true; file: string; mime: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** The built window's folder, from the folder of the main process's compiled files (out/electron/main). */
export function rendererDir(mainDir: string): string {
  return path.join(mainDir, '..', '..', 'renderer');
}

/**
 * The file under `root` that `url` names, or why not. `/` is the page itself. Refused (403):
 * another host, a user or port; `.` or `..` segments, raw or percent-encoded; backslashes,
 * raw or encoded; encoded slashes, NUL and drive letters; an empty segment (`//etc`, which
 * some joins read as absolute); dotfiles. Unknown file types are not found (404).
 */
export function resolveAppPath(url: string, root: string): AppPath {
  const refused = (reason: string): AppPath => ({ ok: false, status: 403, reason });
  const prefix = `${APP_ORIGIN}/`;
  if (url.slice(0, prefix.length).toLowerCase() !== prefix) return refused(`not ${APP_ORIGIN}`);
  const rawPath = url.slice(prefix.length).split(/[?#]/, 1)[0]!;
  if (rawPath.includes('\\')) return refused('a backslash in the path');
  const segments: string[] = [];
  for (const raw of rawPath === '' ? ['index.html'] : rawPath.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: `a malformed escape in ${JSON.stringify(raw)}` };
    }
    if (segment === '') return refused('an empty path segment');
    if (segment === '.' || segment === '..') return refused('a dot segment');
    if (!SAFE_SEGMENT.test(segment)) return refused(`${JSON.stringify(segment)} is not a plain file name`);
    segments.push(segment);
  }
  const file = path.join(root, ...segments);
  if (!isInside(root, file)) return refused('outside the window folder');
  const mime = MIME_TYPES[path.extname(file).toLowerCase()];
  if (!mime) return { ok: false, status: 404, reason: `${path.extname(file) || 'a file without an extension'} is not served` };
  return { ok: true, file, mime };
}

export interface AppRequest {
  method: string;
  url: string;
  /** The origin of the page that asked; absent when the browser asked for itself (the window's own load). */
  initiatorOrigin?: string | null | undefined;
}

export interface AppAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Headers on every answer: the CSP, and no guessing a type other than the one given. */
const COMMON_HEADERS: Readonly<Record<string, string>> = { 'Content-Security-Policy': WINDOW_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };

function refusal(status: number, reason: string, extra: Record<string, string> = {}): AppAnswer {
  return { status, headers: { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra }, body: Buffer.from(`${reason}\n`) };
}

/** Whether `file` lies strictly below `root` (both resolved the same way). */
function isInside(root: string, file: string): boolean {
  const inside = path.relative(root, file);
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${path.sep}`) && !path.isAbsolute(inside);
}

/**
 * The answer to one request for app://ferry/…: GET and HEAD only, asked by the app's own
 * page or by the browser itself, for a file that is, after links are followed, still
 * inside `root`.
 */
export async function answerAppRequest(request: AppRequest, root: string): Promise<AppAnswer> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, `${request.method} is not allowed`, { Allow: 'GET, HEAD' });
  if (request.initiatorOrigin && request.initiatorOrigin !== APP_ORIGIN) return refusal(403, `${request.initiatorOrigin} may not load Ferry's files`);
  const resolved = resolveAppPath(request.url, root);
  if (!resolved.ok) return refusal(resolved.status, resolved.reason);
  const file = await containedFile(root, resolved.file);
  if (!file) return refusal(404, 'not found');
  const body = await readFile(file);
  return { status: 200, headers: { ...COMMON_HEADERS, 'Content-Type': resolved.mime, 'Content-Length': String(body.length) }, body: request.method === 'HEAD' ? null : body };
}

/**
 * `file` as it really is on disk, when it is a regular file inside `root` once every link
 * is followed (a link inside the folder that points out of it is not); null otherwise.
 */
export async function containedFile(root: string, file: string): Promise<string | null> {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!isInside(realRoot, realFile)) return null;
    return (await stat(realFile)).isFile() ? realFile : null;
  } catch {
    return null; // missing, unreadable, a broken link
  }
}
