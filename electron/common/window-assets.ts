/**
 * What the window is served with, wherever it is served from (the desktop app's app://ferry,
 * `ferry serve`'s page): one CSP and one table of the file types it is built from.
 */

/**
 * The page may load only its own scripts and styles and talk only to its own origin. Sent
 * as a header with every answer (the page also carries it as a meta tag, which cannot hold
 * frame-ancestors).
 */
export const WINDOW_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The types the window is built from; anything else is not served. */
export const WINDOW_MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};
