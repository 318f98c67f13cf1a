import { protocol } from 'electron';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES } from './app-origin';
import { answerAppRequest } from './app-files';

/** Must run before the app is ready: Chromium fixes its scheme list at startup. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
}

/** Serves app://ferry/… from the built window folder `root` (every decision is answerAppRequest's). */
export function serveAppFiles(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    // Electron sets initiatorOrigin (who asked; unlike the referrer, the page cannot forge it); its typings leave it off Request.
    const { initiatorOrigin } = request as Request & { initiatorOrigin?: string };
    const answer = await answerAppRequest({ method: request.method, url: request.url, initiatorOrigin }, root);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
}
