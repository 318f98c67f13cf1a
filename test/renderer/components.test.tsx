/**
 * The main components against the real engine: the window's client talks over a WebSocket
 * to `ferry serve` (the built engine, its SQLite store and hashing threads), which
 * downloads from nginx.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Profiler } from 'react';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient } from '../../electron/common/rpc';
import { TransferRow } from '../../renderer/src/components/TransferRow';
import { AppContext } from '../../renderer/src/context';
import { createTransfersStore } from '../../renderer/src/store';
import { NEEDS_NGINX } from '../support/nginx';
import { inWindow, mountApp, nginxServing } from './mount-app';
import { row } from './store.test';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const body = Buffer.alloc(200_000, 3);
const nginx = nginxServing({ 'manual.pdf': body, 'manual.pdf.sha256': Buffer.from(`${sha256(body)}  manual.pdf\n`) });
afterEach(cleanup);

describe.skipIf(NEEDS_NGINX)('the window on a real engine', () => {
  test('empty queue, then Add with a checksum: the row reaches Verified', async () => {
    const app = await mountApp();
    try {
      expect(screen.getByText('Nothing moving yet')).toBeTruthy();
      const user = userEvent.setup();
      await user.click(screen.getByRole('button', { name: 'Add' }));
      const dialog = screen.getByRole('dialog', { name: 'Add downloads' });
      await user.type(within(dialog).getByLabelText('Links'), nginx.url('manual.pdf'));
      await user.type(within(dialog).getByLabelText('Checksum (optional)'), `sha256:${sha256(body)}`);
      await user.click(within(dialog).getByRole('button', { name: 'Start' }));
      const rowEl = await screen.findByRole('row', { name: /manual\.pdf/ }, { timeout: 10_000 });
      await waitFor(() => expect(within(rowEl).getByText(/Verified/)).toBeTruthy(), { timeout: 10_000 });
      expect(within(rowEl).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
      expect(sha256(fs.readFileSync(path.join(app.downloads, 'manual.pdf')))).toBe(sha256(body));
    } finally {
      await app.close();
    }
  });

  test('Add with a checksum file: the row reaches Verified, and the details name the file and what it proves', () =>
    inWindow(async (_app, user) => {
      await user.click(screen.getByRole('button', { name: 'Add' }));
      const dialog = screen.getByRole('dialog', { name: 'Add downloads' });
      await user.type(within(dialog).getByLabelText('Links'), nginx.url('manual.pdf'));
      await user.type(within(dialog).getByLabelText('Checksum file (optional)'), nginx.url('manual.pdf.sha256'));
      await user.click(within(dialog).getByRole('button', { name: 'Start' }));
      const rowEl = await screen.findByRole('row', { name: /manual\.pdf/ }, { timeout: 10_000 });
      await waitFor(() => expect(within(rowEl).getByText(/Verified/)).toBeTruthy(), { timeout: 10_000 });
      await user.dblClick(rowEl);
      const details = await screen.findByRole('complementary', { name: /Details of manual\.pdf/ });
      const integrity = within(details).getByRole('region', { name: 'Integrity' });
      await waitFor(() => expect(integrity.textContent).toContain(`checksum file ${nginx.url('manual.pdf.sha256')}`));
      expect(integrity.textContent).toMatch(/proves the transfer .* not who made the file/);
    }));

  test('Settings turn off the search for checksum files beside downloads', () =>
    inWindow(async (app, user) => {
      await user.click(screen.getByRole('button', { name: 'Settings' }));
      const dialog = screen.getByRole('dialog', { name: 'Settings' });
      const box = within(dialog).getByRole('checkbox', { name: /Look for a checksum file/ }) as HTMLInputElement;
      expect(box.checked).toBe(true);
      await user.click(box);
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(app.store.getState().settings?.sidecarLookup).toBe(false));
    }));

  test('a bad checksum is refused in words, inside the dialog, and nothing is added', async () => {
    const app = await mountApp();
    try {
      const user = userEvent.setup();
      await user.click(screen.getByRole('button', { name: 'Add' }));
      const dialog = screen.getByRole('dialog', { name: 'Add downloads' });
      await user.type(within(dialog).getByLabelText('Links'), nginx.url('manual.pdf'));
      await user.type(within(dialog).getByLabelText('Checksum (optional)'), 'sha256:1234');
      await user.click(within(dialog).getByRole('button', { name: 'Start' }));
      expect((await within(dialog).findByRole('alert')).textContent).toMatch(/64 hexadecimal characters/);
      expect(app.store.getState().byId.size).toBe(0);
    } finally {
      await app.close();
    }
  });

  test('the Add dialog names the lines it will skip', async () => {
    const app = await mountApp();
    try {
      const user = userEvent.setup();
      await user.click(screen.getByRole('button', { name: 'Add' }));
      const dialog = screen.getByRole('dialog', { name: 'Add downloads' });
      await user.type(within(dialog).getByLabelText('Links'), `${nginx.url('manual.pdf')}{enter}ftp://old.example/x.iso{enter}notes to self{enter}# a comment`);
      expect(within(dialog).getByText(/1 link; 2 lines hold no http\(s\) link and will be skipped: "ftp:\/\/old\.example\/x\.iso", "notes to self"/)).toBeTruthy();
    } finally {
      await app.close();
    }
  });

  test('Remove asks whether the downloaded file goes too, and keeps it unless told', async () => {
    const app = await mountApp();
    try {
      const user = userEvent.setup();
      await user.click(screen.getByRole('button', { name: 'Add' }));
      await user.type(screen.getByLabelText('Links'), nginx.url('manual.pdf'));
      await user.click(screen.getByRole('button', { name: 'Start' }));
      const rowEl = await screen.findByRole('row', { name: /manual\.pdf/ }, { timeout: 10_000 });
      await waitFor(() => expect(within(rowEl).getByText('Completed')).toBeTruthy(), { timeout: 10_000 });
      await user.click(within(rowEl).getByRole('button', { name: 'Remove' }));
      const dialog = screen.getByRole('dialog', { name: 'Remove this transfer?' });
      expect((within(dialog).getByRole('checkbox') as HTMLInputElement).checked).toBe(false);
      await user.click(within(dialog).getByRole('button', { name: 'Remove from list, keep the file' }));
      await waitFor(() => expect(screen.queryByRole('row', { name: /manual\.pdf/ })).toBeNull());
      expect(fs.existsSync(path.join(app.downloads, 'manual.pdf'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('rows subscribe by id', () => {
  test('a batch re-renders the rows it changed and no other', async () => {
    const store = createTransfersStore();
    store.getState().applySnapshot({
      transfers: [row('t1', { state: 'active' }), row('t2', { state: 'active' })],
      batch: 1,
      settings: { downloadDir: '/tmp', maxActive: 4, maxPerHost: 6, maxConnections: 1, bandwidth: null, stallTimeoutSeconds: 30, autoResume: true, keepRunningInTray: true, sidecarLookup: true, uploadDestinations: [], activeHours: [], bandwidthSchedule: [] },
      host: { kind: 'serve', canRevealFiles: false, secretStorage: 'key-file', dataDir: '/d', version: 't' },
    });
    const renders: Record<string, number> = { t1: 0, t2: 0 };
    const services = { store, client: createClient({ send: () => undefined, onMessage: () => () => undefined, onClose: () => () => undefined }), pathForFile: null, report: () => undefined };
    render(
      <AppContext.Provider value={services}>
        {['t1', 't2'].map((id, i) => (
          <Profiler key={id} id={id} onRender={() => renders[id]!++}>
            <TransferRow id={id} index={i} top={0} height={56} onRemove={() => undefined} />
          </Profiler>
        ))}
      </AppContext.Provider>,
    );
    const initial = { ...renders };
    act(() => store.getState().applyEvent({ type: 'changes', batch: 2, changes: [{ id: 't1', bytes: 400, speed: 1000, eta: 1 }], removed: [] }));
    expect(renders.t1).toBe(initial.t1! + 1);
    expect(renders.t2).toBe(initial.t2);
    expect(screen.getAllByRole('progressbar')[0]!.getAttribute('aria-valuenow')).toBe('40');
    fireEvent.click(screen.getAllByRole('row')[1]!);
    expect(store.getState().selected).toEqual({ t2: true });
  });
});
