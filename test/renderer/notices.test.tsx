import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import { Notices } from '../../renderer/src/components/Notices';
import { AppContext, type AppServices } from '../../renderer/src/context';
import { createTransfersStore } from '../../renderer/src/store';

afterEach(() => { cleanup(); vi.useRealTimers(); });

function mount() {
  const store = createTransfersStore();
  const services = { store, client: null as never, pathForFile: null, report: () => undefined } as AppServices;
  render(<AppContext.Provider value={services}><Notices /></AppContext.Provider>);
  const say = (title: string, level: 'info' | 'error' = 'info', body = 'b') => act(() => store.getState().applyEvent({ type: 'notice', notice: { level, title, body, ids: [] } }));
  return { say, store };
}

test('each notice leaves on its own clock; a trickle does not keep the oldest', () => {
  vi.useFakeTimers();
  const { say } = mount();
  say('one');
  for (let i = 0; i < 4; i++) { act(() => vi.advanceTimersByTime(2000)); say(`n${i}`); }
  // t=8000: one (6000) gone; n0 at 2000 gone (8000), n1 at 4000 stays
  expect(screen.queryByText('one')).toBeNull();
  expect(screen.queryByText('n0')).toBeNull();
  expect(screen.getByText('n1')).toBeTruthy();
});

test('hover holds a notice; lines of a body are paragraphs', () => {
  vi.useFakeTimers();
  const { say } = mount();
  say('fail', 'error', 'a failed: x\nb failed: y');
  expect(screen.getByText('a failed: x')).toBeTruthy();
  expect(screen.getByText('b failed: y')).toBeTruthy();
  fireEvent.mouseEnter(screen.getByRole('alert'));
  act(() => vi.advanceTimersByTime(20_000));
  expect(screen.getByText('fail')).toBeTruthy();
  fireEvent.mouseLeave(screen.getByRole('alert'));
  act(() => vi.advanceTimersByTime(11_000));
  expect(screen.getByText('fail')).toBeTruthy();
  act(() => vi.advanceTimersByTime(1_500));
  expect(screen.queryByText('fail')).toBeNull();
});
