/** The window as the app mounts it, on a real engine (`ferry serve` on a data directory of its own), and nginx for it to download from. */
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { websocketChannel } from '../../electron/cli/serve';
import { createClient } from '../../electron/common/rpc';
import { App } from '../../renderer/src/components/App';
import { AppContext, type AppServices } from '../../renderer/src/context';
import { afterAll, beforeAll } from 'vitest';
import { createTransfersStore } from '../../renderer/src/store';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { connect, startServe } from '../support/service';

export async function mountApp() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-ct-data-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-ct-dl-'));
  const serve = await startServe(dataDir, [], { XDG_DOWNLOAD_DIR: downloads });
  const ws = await connect(serve, { token: serve.token });
  if (typeof ws === 'number') throw new Error(`ferry serve refused the test with ${ws}`);
  const client = createClient(websocketChannel(ws));
  const store = createTransfersStore();
  client.onEvent((event) => store.getState().applyEvent(event));
  const snap = await client.snapshot();
  if (!snap.ok) throw new Error(snap.error.message);
  store.getState().applySnapshot(snap.value);
  const services: AppServices = { store, client, pathForFile: null, report: (message) => store.getState().applyEvent({ type: 'notice', notice: { level: 'error', title: 'Failed', body: message, ids: [] } }) };
  const view = render(
    <AppContext.Provider value={services}>
      <App connection={{ state: 'open' }} />
    </AppContext.Provider>,
  );
  return {
    view,
    store,
    client,
    downloads,
    close: async () => {
      client.dispose();
      ws.close();
      await serve.stop();
    },
  };
}

export type MountedApp = Awaited<ReturnType<typeof mountApp>>;

/** Runs `steps` in a freshly mounted window with a user to drive it, and always stops its engine after. */
export async function inWindow(steps: (app: MountedApp, user: ReturnType<typeof userEvent.setup>) => Promise<void>): Promise<void> {
  const app = await mountApp();
  try {
    await steps(app, userEvent.setup());
  } finally {
    await app.close();
  }
}

/** nginx serving `files` to the tests of the calling file: started before them, stopped after (none where nginx is missing). */
export function nginxServing(files: Record<string, Buffer>): { url(name: string): string } {
  const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-ct-www-'));
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(www, name), body);
  let nginx: Nginx | undefined;
  beforeAll(async () => {
    if (!NEEDS_NGINX) nginx = await startNginx(www);
  });
  afterAll(async () => {
    await nginx?.stop();
  });
  return { url: (name) => nginx!.url(name) };
}
