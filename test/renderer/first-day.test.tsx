/**
 * Issue 16's "should fix" list, in the window on a real engine (`ferry serve`, downloading
 * from nginx): new rows are shown, Settings marks every wrong field at once, Remove says
 * what it will do, Upload explains typed paths once.
 */
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SPOTLIGHT_MS } from '../../renderer/src/components/QueueList';
import { removeAction, removing } from '../../renderer/src/components/RemoveDialog';
import { examplePath } from '../../renderer/src/components/UploadDialog';
import { NEEDS_NGINX } from '../support/nginx';
import { inWindow, nginxServing } from './mount-app';

const nginx = nginxServing({ 'manual.pdf': Buffer.alloc(200_000, 3) });
afterEach(cleanup);

/** The field's message, found the way a screen reader finds it: through aria-describedby. */
function describedBy(input: HTMLElement): string | null {
  const id = input.getAttribute('aria-describedby');
  return id ? (document.getElementById(id)?.textContent ?? null) : null;
}

describe.skipIf(NEEDS_NGINX)('new items are visible (issue 16)', () => {
  test('a link added while a filter hides it: the filter goes and the row is marked for a moment; adding an unfinished one again marks the row already there', () =>
    inWindow(async (_app, user) => {
      const add = async (url: string): Promise<void> => {
        await user.click(screen.getByRole('button', { name: 'Add' }));
        await user.type(screen.getByLabelText('Links'), url);
        await user.click(screen.getByRole('button', { name: 'Start' }));
      };
      const marked = (name: RegExp): boolean => screen.getByRole('row', { name }).classList.contains('row-new');
      await user.click(screen.getByRole('tab', { name: /Failed/ }));
      await add(nginx.url('manual.pdf'));
      await screen.findByRole('row', { name: /manual\.pdf/ }, { timeout: 10_000 });
      expect(screen.getByRole('tab', { name: /All/ }).getAttribute('aria-selected')).toBe('true');
      expect(marked(/manual\.pdf/)).toBe(true);
      await waitFor(() => expect(marked(/manual\.pdf/)).toBe(false), { timeout: SPOTLIGHT_MS + 2000 });

      // A failed download is unfinished: adding its link again finds it instead of adding a twin.
      await add(nginx.url('missing.iso'));
      await waitFor(() => expect(within(screen.getByRole('row', { name: /missing\.iso/ })).getByText('Failed')).toBeTruthy(), { timeout: 10_000 });
      await waitFor(() => expect(marked(/missing\.iso/)).toBe(false), { timeout: SPOTLIGHT_MS + 2000 });
      expect(marked(/manual\.pdf/)).toBe(false);
      await add(nginx.url('missing.iso'));
      await waitFor(() => expect(marked(/missing\.iso/)).toBe(true));
      expect(screen.getAllByRole('row', { name: /missing\.iso/ })).toHaveLength(1);
      expect(marked(/manual\.pdf/)).toBe(false);
    }));
});

describe('Settings marks every wrong field at once, each message beside its field', () => {
  test('four wrong fields: all four marked and described, focus on the first, nothing saved; a fixed field loses its mark as it is typed', () =>
    inWindow(async (app, user) => {
      await user.click(screen.getByRole('button', { name: 'Settings' }));
      const dialog = screen.getByRole('dialog', { name: 'Settings' });
      const field = (label: string): HTMLInputElement => within(dialog).getByLabelText(label);
      for (const [label, value] of [['Transfers at once', '0'], ['Connections per server', 'many'], ['Bandwidth limit (MiB/s, empty for none)', '-1'], ['Stall timeout (seconds)', '2']] as const) {
        await user.clear(field(label));
        await user.type(field(label), value);
      }
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      expect(within(dialog).getByRole('alert').textContent).toBe('4 fields need a change: see the message beside each.');
      expect(describedBy(field('Transfers at once'))).toBe('Give a whole number from 1 to 64.');
      expect(describedBy(field('Connections per server'))).toBe('Give a whole number from 1 to 64.');
      expect(describedBy(field('Bandwidth limit (MiB/s, empty for none)'))).toBe('Give a number of MiB/s such as 2.5, or leave it empty for no limit.');
      expect(describedBy(field('Stall timeout (seconds)'))).toBe('Give a whole number from 5 to 3600.');
      expect(within(dialog).getAllByRole('textbox').filter((el) => el.getAttribute('aria-invalid') === 'true')).toHaveLength(4);
      expect(field('Connections per download').getAttribute('aria-invalid')).toBeNull();
      // Each message stands right after its own field, not gathered at the top.
      expect(field('Transfers at once').nextElementSibling?.id).toBe(field('Transfers at once').getAttribute('aria-describedby'));
      expect(document.activeElement).toBe(field('Transfers at once'));
      expect(app.store.getState().settings?.maxActive).not.toBe(0);

      await user.clear(field('Transfers at once'));
      await user.type(field('Transfers at once'), '3');
      expect(field('Transfers at once').getAttribute('aria-invalid')).toBeNull();
      expect(within(dialog).getByRole('alert').textContent).toBe('3 fields need a change: see the message beside each.');
    }));

  test('a folder the engine refuses is marked beside the folder field, and the refusal goes once it is edited', () =>
    inWindow(async (_app, user) => {
      await user.click(screen.getByRole('button', { name: 'Settings' }));
      const dialog = screen.getByRole('dialog', { name: 'Settings' });
      const folder = within(dialog).getByLabelText('Download folder');
      await user.clear(folder);
      await user.type(folder, 'Downloads/ferry');
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(folder.getAttribute('aria-invalid')).toBe('true'));
      expect(describedBy(folder)).toMatch(/is not a full path/);
      expect(document.activeElement).toBe(folder);
      await user.type(folder, 'x');
      expect(folder.getAttribute('aria-invalid')).toBeNull();
    }));

  test('Add a destination, from Upload or in Settings, opens its form with the focus in its Name; saving from Upload goes back to the upload', () =>
    inWindow(async (_app, user) => {
      await user.click(screen.getByRole('button', { name: 'Upload' }));
      await user.click(within(screen.getByRole('dialog', { name: 'Upload files' })).getByRole('button', { name: 'Add a destination' }));
      const dialog = screen.getByRole('dialog', { name: 'Settings' });
      const name = within(dialog).getByLabelText('Name');
      expect(document.activeElement).toBe(name);
      expect((name as HTMLInputElement).value).toBe('');
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      expect(describedBy(name)).toBe('Give this destination a name.');
      expect(describedBy(within(dialog).getByLabelText('URL'))).toMatch(/^Give an http or https URL/);
      await user.type(name, 'Home server');
      await user.type(within(dialog).getByLabelText('URL'), 'https://tus.example.com/files/');
      await user.click(within(dialog).getByRole('button', { name: 'Add destination' }));
      const second = within(within(dialog).getByRole('group', { name: 'Destination 2' })).getByLabelText('Name');
      expect(document.activeElement).toBe(second);
      await user.click(within(within(dialog).getByRole('group', { name: 'Destination 2' })).getByRole('button', { name: 'Remove destination' }));
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      const upload = await screen.findByRole('dialog', { name: 'Upload files' });
      expect(within(upload).getByRole('option', { name: /Home server/ })).toBeTruthy();
      expect(screen.queryByRole('dialog', { name: 'Settings' })).toBeNull();
    }));
});

describe.skipIf(NEEDS_NGINX)('the Remove dialog says what it does to what is selected', () => {
  test('finished: keep or delete its file, the button says which; unfinished: its partial goes, no choice; both selected: both said', () =>
    inWindow(async (app, user) => {
      await user.click(screen.getByRole('button', { name: 'Add' }));
      await user.type(screen.getByLabelText('Links'), `${nginx.url('manual.pdf')}{enter}${nginx.url('missing.iso')}`);
      await user.click(screen.getByRole('button', { name: 'Start' }));
      const finished = (): HTMLElement => screen.getByRole('row', { name: /manual\.pdf/ });
      const failed = (): HTMLElement => screen.getByRole('row', { name: /missing\.iso/ });
      await waitFor(() => expect(within(finished()).getByText('Completed')).toBeTruthy(), { timeout: 10_000 });
      await waitFor(() => expect(within(failed()).getByText('Failed')).toBeTruthy(), { timeout: 10_000 });
      const buttons = (dialog: HTMLElement): string[] => within(dialog).getAllByRole('button').map((b) => b.textContent!.trim());

      await user.click(within(failed()).getByRole('button', { name: 'Remove' }));
      let dialog = screen.getByRole('dialog', { name: 'Remove this transfer?' });
      expect(within(dialog).getByText('This download is unfinished: the part that has arrived is deleted, so it cannot be continued later.')).toBeTruthy();
      expect(within(dialog).queryByRole('checkbox')).toBeNull();
      expect(buttons(dialog)).toEqual(['×', 'Keep in list', 'Remove']);
      await user.click(within(dialog).getByRole('button', { name: 'Keep in list' }));
      expect(screen.queryByRole('dialog')).toBeNull();
      expect(failed()).toBeTruthy();

      await user.click(within(finished()).getByRole('button', { name: 'Remove' }));
      dialog = screen.getByRole('dialog', { name: 'Remove this transfer?' });
      expect(within(dialog).getByText('This download is finished: its file stays on disk unless you tick the box below.')).toBeTruthy();
      expect(buttons(dialog)).toEqual(['×', 'Keep in list', 'Remove from list, keep the file']);
      await user.click(within(dialog).getByRole('checkbox', { name: 'Also delete the downloaded file from disk' }));
      expect(buttons(dialog)).toEqual(['×', 'Keep in list', 'Remove and delete the file']);
      await user.click(within(dialog).getByRole('button', { name: 'Keep in list' }));

      await user.click(finished());
      await user.keyboard('{Control>}');
      await user.click(failed());
      await user.keyboard('{/Control}');
      await user.click(screen.getByRole('button', { name: 'Remove selected' }));
      dialog = screen.getByRole('dialog', { name: 'Remove 2 transfers?' });
      expect(within(dialog).getByText('1 download is finished: its file stays on disk unless you tick the box below.')).toBeTruthy();
      expect(within(dialog).getByText('1 download is unfinished: the part that has arrived is deleted, so it cannot be continued later.')).toBeTruthy();
      await user.click(within(dialog).getByRole('checkbox'));
      await user.click(within(dialog).getByRole('button', { name: 'Remove and delete the file' }));
      await waitFor(() => expect(app.store.getState().byId.size).toBe(0));
      expect(fs.existsSync(path.join(app.downloads, 'manual.pdf'))).toBe(false);
    }));
});

test('uploads are counted apart: their files are never deleted, so they add no choice', () => {
  const r = removing([{ direction: 'upload', state: 'completed' }, { direction: 'upload', state: 'active' }, { direction: 'download', state: 'canceled' }, undefined]);
  expect(r).toEqual({ finished: 0, unfinished: 0, uploads: 2 });
  expect(removeAction(r, true)).toBe('Remove');
  expect(removeAction(removing([{ direction: 'download', state: 'completed' }, { direction: 'download', state: 'completed' }]), false)).toBe('Remove from list, keep the 2 files');
});

describe('Upload in a browser tab explains typed paths once', () => {
  test('the path field shows an example; the note comes on the first Upload only, and again only if the browser forgets', () =>
    inWindow(async (app, user) => {
      localStorage.clear();
      await app.client.setSettings({ uploadDestinations: [{ name: 'Home server', url: 'https://tus.example.com/files/', protocol: 'tus', headers: [] }] });
      await waitFor(() => expect(app.store.getState().settings?.uploadDestinations).toHaveLength(1));
      const open = async (): Promise<HTMLElement> => {
        await user.click(screen.getByRole('button', { name: 'Upload' }));
        return screen.getByRole('dialog', { name: 'Upload files' });
      };
      const note = /This browser tab cannot see where your files live/;
      let dialog = await open();
      expect(within(dialog).getByLabelText(/Files or folders/).getAttribute('placeholder')).toBe('/home/you/Videos/clip.mp4');
      expect(within(dialog).getByText(note)).toBeTruthy();
      await user.click(within(dialog).getByRole('button', { name: 'Got it' }));
      expect(within(dialog).queryByText(note)).toBeNull();
      const close = (): Promise<void> => user.click(within(dialog).getAllByRole('button', { name: 'Close' })[0]!);
      await close();
      dialog = await open();
      expect(within(dialog).queryByText(note)).toBeNull();
      await close();

      localStorage.clear();
      dialog = await open();
      expect(within(dialog).getByText(note)).toBeTruthy();
    }));

  test('an example path in the form the machine running Ferry uses', () => {
    expect(examplePath('C:\\Users\\ana\\AppData\\Roaming\\Ferry')).toBe('C:\\Users\\you\\Videos\\clip.mp4');
    expect(examplePath('/Users/ana/Library/Application Support/Ferry')).toBe('/Users/you/Movies/clip.mov');
    expect(examplePath('/home/ana/.config/Ferry')).toBe('/home/you/Videos/clip.mp4');
  });
});

test('an active bandwidth limit is shown in the summary, and goes when cleared', () =>
  inWindow(async (_app, user) => {
    const summary = screen.getByRole('region', { name: 'Summary' });
    expect(within(summary).queryByText(/Limited to/)).toBeNull();
    const setLimit = async (mib: string): Promise<void> => {
      await user.click(screen.getByRole('button', { name: 'Settings' }));
      const field = within(screen.getByRole('dialog', { name: 'Settings' })).getByLabelText('Bandwidth limit (MiB/s, empty for none)');
      await user.clear(field);
      if (mib) await user.type(field, mib);
      await user.click(screen.getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Settings' })).toBeNull());
    };
    await setLimit('2.5');
    await waitFor(() => expect(within(summary).getByText('Limited to 2.50 MiB/s')).toBeTruthy());
    await setLimit('');
    await waitFor(() => expect(within(summary).queryByText(/Limited to/)).toBeNull());
  }));
