/**
 * Where the window's page lives and what may leave it: pure decisions, so they are tested
 * without Electron (electron/main/security.ts and app-protocol.ts apply them).
 *
 * The window loads from `app://ferry/` (Electron's security checklist, item 18), not from
 * file://: a file:// page shares its origin with every file on the disk, and Chromium
 * grants it more than a web page. `app` is registered as a standard, secure scheme, so the
 * page is an ordinary secure origin: 'self' in its CSP means app://ferry and nothing else.
 */
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'ferry';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one page the window shows. */
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`;

/**
 * Registered before the app is ready. standard: URLs resolve and have an origin like
 * https ones (relative links, 'self', cookies and storage scoped to app://ferry); secure:
 * the page counts as a secure context. Nothing more: no CSP bypass, no fetch from other
 * origins, no service workers.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = { scheme: APP_SCHEME, privileges: { standard: true, secure: true } };

/** The window's CSP (one for every place the window is served from). */
export { WINDOW_CSP } from '../common/window-assets';

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is the app's own page: exactly app://ferry/index.html (a fragment aside).
 * Another host, a user or port, another path or a query is not: the window never navigates
 * there, and a frame showing it gets no port to the engine.
 */
export function isAppPage(url: string): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  parsed.hash = '';
  return parsed.href === APP_PAGE_URL;
}

/**
 * Where a link the person clicked may go: out to their browser, http(s) only, as the
 * normalised href; null for anything else (file:, javascript:, app:, custom handlers).
 */
export function externalLink(url: string): string | null {
  const parsed = parse(url);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return null;
  if (parsed.username || parsed.password) return null; // a link that logs in somewhere is no plain link
  return parsed.href;
}
