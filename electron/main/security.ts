import { type WebContents, app, session, shell } from 'electron';

/**
 * The window's CSP. The page also carries it as a meta tag; sending it as a header too
 * covers anything loaded over http(s) by mistake.
 */
export const WINDOW_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

/** Where links a person clicks may go: out to the browser, and only http(s). */
function openExternally(url: string): void {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') void shell.openExternal(parsed.href);
  } catch {
    // not a URL: nothing to open
  }
}

/**
 * The Electron security checklist, applied to every web contents the app ever creates:
 * no navigation away from the app's page, no new windows (links go to the browser), no
 * <webview>, every permission request (camera, notifications, geolocation...) denied.
 */
export function applySecurityPolicy(appPageUrl: () => string): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] } });
  });
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (url !== appPageUrl()) event.preventDefault();
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openExternally(url);
      return { action: 'deny' };
    });
  });
}
