import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import type { Settings } from '../../electron/common/service';
import { BandwidthLimit } from '../../renderer/src/components/BandwidthLimit';
import { AppContext, type AppServices } from '../../renderer/src/context';
import { createTransfersStore } from '../../renderer/src/store';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function mount(settings: Partial<Settings>) {
  const store = createTransfersStore();
  const services = { store, client: null as never, pathForFile: null, report: () => undefined } as AppServices;
  act(() => store.getState().applyEvent({ type: 'settings', settings: { bandwidth: null, activeHours: [], bandwidthSchedule: [], ...settings } as Settings }));
  render(
    <AppContext.Provider value={services}>
      <BandwidthLimit />
    </AppContext.Provider>,
  );
}

const ALL = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

test('outside the active hours the summary says transfers wait, and until when; inside, nothing', () => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(new Date(2026, 10, 30, 12, 0)); // a Monday, noon
  mount({ activeHours: [{ days: [...ALL], from: '22:00', to: '07:00' }] });
  expect(screen.getByRole('status').textContent).toMatch(/^Outside active hours: transfers wait until 22:00$/);
  act(() => {
    vi.setSystemTime(new Date(2026, 10, 30, 22, 1));
    vi.advanceTimersByTime(30_000);
  });
  expect(screen.queryByRole('status')).toBeNull();
});

test('the bandwidth schedule\'s limit shows while its window covers now, the plain limit otherwise', () => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(new Date(2026, 10, 30, 10, 0));
  mount({ bandwidth: 4 << 20, bandwidthSchedule: [{ days: [...ALL], from: '09:00', to: '18:00', rate: 1 << 20 }] });
  expect(screen.getByText('Limited to 1.00 MiB/s')).toBeTruthy();
  act(() => {
    vi.setSystemTime(new Date(2026, 10, 30, 18, 30));
    vi.advanceTimersByTime(30_000);
  });
  expect(screen.getByText('Limited to 4.00 MiB/s')).toBeTruthy();
});
