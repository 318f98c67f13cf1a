import { type DragEvent, useCallback, useEffect, useState } from 'react';
import type { ConnectionState } from '../connection';
import { useApp, useTransfers } from '../context';
import { AddDialog, urlsIn } from './AddDialog';
import { DetailsPanel } from './DetailsPanel';
import { ErrorBoundary } from './ErrorBoundary';
import { Notices } from './Notices';
import { QueueList } from './QueueList';
import { RemoveDialog } from './RemoveDialog';
import { SettingsDialog } from './SettingsDialog';
import { SummaryBar } from './SummaryBar';
import { Toolbar } from './Toolbar';
import { UploadDialog } from './UploadDialog';

type UploadOpen = { kind: 'upload'; paths: string[]; withoutPaths: number };
type Open =
  | { kind: 'add'; text: string }
  | UploadOpen
  /** From Upload with no destination: Settings opens on a new one, and saving goes back to the upload. */
  | { kind: 'settings'; addDestination?: boolean; back?: UploadOpen }
  | { kind: 'remove'; ids: string[] }
  | null;

const typing = (target: EventTarget | null): boolean => target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

export function App({ connection }: { connection: { state: ConnectionState; detail?: string } }) {
  const { pathForFile, report } = useApp();
  const detailsId = useTransfers((s) => s.detailsId);
  const [open, setOpen] = useState<Open>(null);
  const [dragging, setDragging] = useState(false);
  const close = useCallback(() => setOpen(null), []);
  const remove = useCallback((ids: string[]) => setOpen({ kind: 'remove', ids }), []);

  // Shortcuts: Ctrl/Cmd+N add, Ctrl/Cmd+, settings, Ctrl/Cmd+U upload; a pasted link opens Add.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey) || open) return;
      if (e.key === 'n') setOpen({ kind: 'add', text: '' });
      else if (e.key === ',') setOpen({ kind: 'settings' });
      else if (e.key === 'u') setOpen({ kind: 'upload', paths: [], withoutPaths: 0 });
      else return;
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent): void => {
      if (open || typing(e.target)) return;
      const text = e.clipboardData?.getData('text/plain') ?? '';
      if (urlsIn(text).length > 0) {
        e.preventDefault();
        setOpen({ kind: 'add', text: urlsIn(text).join('\n') });
      }
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('paste', onPaste);
    };
  }, [open]);

  const onDrop = (e: DragEvent): void => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (files.length > 0) {
      const paths = pathForFile ? files.map((f) => pathForFile(f)).filter(Boolean) : [];
      setOpen({ kind: 'upload', paths, withoutPaths: files.length - paths.length });
      return;
    }
    const text = e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain');
    if (urlsIn(text).length > 0) setOpen({ kind: 'add', text: urlsIn(text).join('\n') });
  };

  return (
    <div
      className={`app${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      {connection.state !== 'open' ? (
        <div className={`banner banner-${connection.state}`} role="status">
          {connection.detail ?? (connection.state === 'connecting' ? 'Connecting to Ferry…' : 'Not connected.')}
        </div>
      ) : null}
      <Toolbar onAdd={() => setOpen({ kind: 'add', text: '' })} onUpload={() => setOpen({ kind: 'upload', paths: [], withoutPaths: 0 })} onSettings={() => setOpen({ kind: 'settings' })} onRemove={remove} />
      <SummaryBar />
      {/* While disconnected, speeds and times are the last ones heard: shown as stale. */}
      <main className={`${detailsId ? 'with-details' : ''}${connection.state !== 'open' ? ' stale' : ''}`.trim()} aria-busy={connection.state !== 'open'}>
        <QueueList onRemove={remove} />
        {detailsId ? (
          <ErrorBoundary key={detailsId} what="The details panel" onError={report}>
            <DetailsPanel id={detailsId} />
          </ErrorBoundary>
        ) : null}
      </main>
      {dragging ? (
        <div className="drop-hint" aria-hidden="true">
          Drop links to download, or files and folders to upload
        </div>
      ) : null}
      <Notices />
      {open?.kind === 'add' ? <AddDialog initial={open.text} onClose={close} /> : null}
      {open?.kind === 'upload' ? <UploadDialog initialPaths={open.paths} droppedWithoutPaths={open.withoutPaths} onClose={close} onAddDestination={() => setOpen({ kind: 'settings', addDestination: true, back: open })} /> : null}
      {open?.kind === 'settings' ? <SettingsDialog onClose={close} addDestination={open.addDestination} onSaved={open.back ? () => setOpen(open.back!) : close} /> : null}
      {open?.kind === 'remove' ? <RemoveDialog ids={open.ids} onClose={close} /> : null}
    </div>
  );
}
