import { type FormEvent, useEffect, useState } from 'react';
import { useApp, useTransfers } from '../context';
import { Dialog } from './Dialog';
import type { UploadDestination } from '../../../electron/common/service';

/** One empty list for "no settings yet": a selector returning a fresh [] never settles (React error 185). */
const NO_DESTINATIONS: readonly UploadDestination[] = [];

/**
 * Upload files and folders to a destination from Settings. Paths come from a drop (the
 * desktop app knows them) or are typed: a browser tab under `ferry serve` cannot see where
 * a dropped file lives, and the engine reads the files from its own disk anyway.
 */
export function UploadDialog({
  initialPaths,
  droppedWithoutPaths,
  onClose,
  onAddDestination,
}: {
  initialPaths: string[];
  droppedWithoutPaths: number;
  onClose(): void;
  /** Opens Settings on a new destination's form. */
  onAddDestination(): void;
}) {
  const { client, store, pathForFile } = useApp();
  const destinations = useTransfers((s) => s.settings?.uploadDestinations ?? NO_DESTINATIONS);
  const dataDir = useTransfers((s) => s.host?.dataDir);
  const [paths, setPaths] = useState(initialPaths.join('\n'));
  const [picked, setDestination] = useState<string | null>(null);
  // The settings may arrive after the dialog opened (a drop before the snapshot): until a
  // person picks, the first destination is the one shown and the one used.
  const destination = destinations.some((d) => d.id === picked) ? (picked as string) : (destinations[0]?.id ?? '');
  const [error, setError] = useState<string | null>(null);
  const [skipped, setSkipped] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const list = paths.split('\n').map((p) => p.trim()).filter(Boolean);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (list.length === 0) return setError('Give at least one file or folder, one full path per line.');
    setBusy(true);
    const result = await client.addUploads({ paths: list, destination });
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    store.getState().spotlightAdded(result.value.ids); // with those found already there
    if (result.value.skipped.length === 0) return onClose();
    setSkipped(result.value.skipped.map((s) => `${s.path}: ${s.reason}`));
  };

  return (
    <Dialog title="Upload files" onClose={onClose}>
      {destinations.length === 0 ? (
        <div className="dialog-body">
          <p>Uploads go to a destination: a tus endpoint or a URL to PUT to. There is none yet.</p>
          <footer>
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button type="button" className="primary" onClick={onAddDestination}>
              Add a destination
            </button>
          </footer>
        </div>
      ) : (
        <form onSubmit={(e) => void submit(e)}>
          {/* Only the desktop app learns where a file lives; a browser tab (ferry serve) never does. */}
          {pathForFile ? null : <TypedPathsNote dropped={droppedWithoutPaths} />}
          <label htmlFor="upload-paths">Files or folders (one full path per line)</label>
          <textarea id="upload-paths" rows={5} value={paths} onChange={(e) => setPaths(e.target.value)} placeholder={examplePath(dataDir)} spellCheck={false} data-autofocus />
          <label htmlFor="upload-destination">Destination</label>
          <select id="upload-destination" value={destination} onChange={(e) => setDestination(e.target.value)}>
            {destinations.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.protocol === 'tus' ? 'tus' : 'PUT'}: {d.url})
              </option>
            ))}
          </select>
          {destinations.find((d) => d.id === destination)?.protocol === 'put' ? (
            <p className="hint">A plain PUT cannot resume: a file interrupted part-way is sent again from its start.</p>
          ) : null}
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          {skipped.length > 0 ? (
            <div className="note" role="status">
              <p>Uploading the rest; these were skipped:</p>
              <ul>
                {skipped.map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <footer>
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button type="submit" className="primary" disabled={busy || skipped.length > 0}>
              Upload
            </button>
          </footer>
        </form>
      )}
    </Dialog>
  );
}

/** An example path in the form the machine running Ferry uses (its data folder's path tells which). */
export function examplePath(dataDir: string | undefined): string {
  if (dataDir && /^[A-Za-z]:\\/.test(dataDir)) return 'C:\\Users\\you\\Videos\\clip.mp4';
  if (dataDir?.startsWith('/Users/')) return '/Users/you/Movies/clip.mov';
  return '/home/you/Videos/clip.mp4';
}

/** Remembered in the browser, so the explanation is given once and not at every Upload. */
export const TYPED_PATHS_SEEN = 'ferry.upload.typed-paths-explained';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage switched off: the note shows each time rather than never
  }
}

/**
 * Why a browser tab asks for typed paths: files dropped on it, or picked, arrive without
 * their place on disk, and the engine reads them from its own disk anyway. Files just
 * dropped are always explained; otherwise it is said once, until seen or dismissed.
 */
function TypedPathsNote({ dropped }: { dropped: number }) {
  const [show, setShow] = useState(() => dropped > 0 || storage()?.getItem(TYPED_PATHS_SEEN) === null);
  useEffect(() => {
    if (show) storage()?.setItem(TYPED_PATHS_SEEN, String(Date.now()));
  }, [show]);
  if (!show) return null;
  return (
    <div className="note" role="status">
      <p>
        {dropped > 0
          ? `This browser tab cannot see where the ${dropped === 1 ? 'dropped file lives' : `${dropped} dropped files live`}.`
          : 'This browser tab cannot see where your files live, so Ferry asks for their paths.'}{' '}
        Type the full path on the machine running Ferry (or use the desktop app, where dropping works).
      </p>
      <button type="button" onClick={() => setShow(false)}>
        Got it
      </button>
    </div>
  );
}
