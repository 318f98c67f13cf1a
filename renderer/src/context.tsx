import { createContext, useContext } from 'react';
import type { TransferClient } from '../../electron/common/service';
import { type TransfersState, type TransfersStore, useStore } from './store';

export interface AppServices {
  store: TransfersStore;
  client: TransferClient;
  /** Where a dropped file lives (desktop only); null in a browser tab. */
  pathForFile: ((file: File) => string) | null;
  /** Shows a failure a command answered with, in words. */
  report(message: string): void;
}

export const AppContext = createContext<AppServices | null>(null);

export function useApp(): AppServices {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside <AppContext.Provider>');
  return app;
}

/** Subscribes to one slice of the window's state. */
export function useTransfers<T>(selector: (state: TransfersState) => T): T {
  return useStore(useApp().store, selector);
}
