import { type WebContents, app, session, shell } from 'electron';
import { WINDOW_CSP, externalLink, isAppPage } from './app-origin';

/**
 * The Electron security checklist, applied to every web contents the app ever creates:
 * no navigation away from the app's page (app://ferry/index.html) in any frame, no
 * redirects, no new windows (http(s) links go to the browser), no <webview>, every
 * permission request (camera, notifications, geolocation...) denied. The decisions are
 * app-origin.ts's, tested there.
 */
export function applySecurityPolicy(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // app:// answers carry the CSP already; this covers anything loaded over http(s) by mistake.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] } });
  });
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppPage(url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (details) => {
      if (!isAppPage(details.url)) details.preventDefault();
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const link = externalLink(url);
      if (link) void shell.openExternal(link);
      return { action: 'deny' };
    });
  });
}
