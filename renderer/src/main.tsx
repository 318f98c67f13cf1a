import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { type Connection, type ConnectionState, connect } from './connection';
import { AppContext, type AppServices } from './context';
import { createTransfersStore } from './store';
import './styles.css';

/** Wires a connection to a store: a snapshot on every (re)connect, then every event, one set each. */
export function Root({ connection }: { connection: Connection }) {
  const store = useMemo(() => createTransfersStore(), []);
  const [state, setState] = useState<{ state: ConnectionState; detail?: string }>({ state: 'connecting' });
  const services = useMemo<AppServices>(
    () => ({
      store,
      client: connection.client,
      pathForFile: connection.pathForFile,
      report: (message) => store.getState().applyEvent({ type: 'notice', notice: { level: 'error', title: 'That did not work', body: message, ids: [] } }),
    }),
    [store, connection],
  );
  useEffect(() => {
    const stopEvents = connection.client.onEvent((event) => store.getState().applyEvent(event));
    const stopState = connection.onState((next, detail) => {
      setState({ state: next, detail });
      if (next !== 'open') return;
      // A new session: its batches wait for its snapshot (they can overtake it on the wire).
      store.getState().expectSnapshot();
      void connection.client.snapshot().then((snap) => {
        if (snap.ok) store.getState().applySnapshot(snap.value);
        else services.report(snap.error.message);
      });
    });
    const sampler = setInterval(() => store.getState().sampleSpeed(), 1000);
    return () => {
      stopEvents();
      stopState();
      clearInterval(sampler);
    };
  }, [connection, store, services]);
  return (
    <AppContext.Provider value={services}>
      <ErrorBoundary what="The window" onError={services.report}>
        <App connection={state} />
      </ErrorBoundary>
    </AppContext.Provider>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Root connection={connect()} />
    </StrictMode>,
  );
}
