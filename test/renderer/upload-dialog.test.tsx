import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import type { Settings } from '../../electron/common/service';
import { UploadDialog } from '../../renderer/src/components/UploadDialog';
import { AppContext, type AppServices } from '../../renderer/src/context';
import { createTransfersStore } from '../../renderer/src/store';

afterEach(cleanup);

function mount(store = createTransfersStore()) {
  const services = { store, client: null as never, pathForFile: null, report: () => undefined } as AppServices;
  render(
    <AppContext.Provider value={services}>
      <UploadDialog initialPaths={[]} droppedWithoutPaths={1} onClose={() => undefined} onAddDestination={() => undefined} />
    </AppContext.Provider>,
  );
  return store;
}

// A drop can open the dialog before the engine's snapshot has brought the settings (seen in
// CI: React's "Maximum update depth exceeded" took the whole window down). A selector that
// builds a fresh [] on every read never settles under useSyncExternalStore.
test('opened before the settings arrive, the dialog says there is no destination yet, then offers the one that arrives', () => {
  const store = mount();
  expect(screen.getByText(/There is none yet/)).toBeTruthy();
  act(() =>
    store.getState().applyEvent({
      type: 'settings',
      settings: { uploadDestinations: [{ id: 'd1', name: 'Backup', protocol: 'tus', url: 'http://127.0.0.1:1/files/' }] } as unknown as Settings,
    }),
  );
  expect(screen.getByRole('option', { name: /Backup \(tus: http:\/\/127\.0\.0\.1:1\/files\/\)/ })).toBeTruthy();
  expect(screen.getByText(/cannot see where the dropped file lives/)).toBeTruthy();
});
