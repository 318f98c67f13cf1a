import { useState } from 'react';
import { useApp, useTransfers } from '../context';
import { Dialog } from './Dialog';

/** Removing asks, every time, whether finished files go too: never deleted unasked. */
export function RemoveDialog({ ids, onClose }: { ids: string[]; onClose(): void }) {
  const { client, report } = useApp();
  const finished = useTransfers((s) => ids.filter((id) => s.byId.get(id)?.state === 'completed' && s.byId.get(id)?.direction === 'download').length);
  const [deleteFiles, setDeleteFiles] = useState(false);
  const remove = async (): Promise<void> => {
    const result = await client.remove({ ids, deleteFiles });
    if (!result.ok) report(result.error.message);
    onClose();
  };
  return (
    <Dialog title={ids.length === 1 ? 'Remove this transfer?' : `Remove ${ids.length} transfers?`} onClose={onClose}>
      <div className="dialog-body">
        <p>Unfinished transfers stop and their partial files are deleted.</p>
        {finished > 0 ? (
          <label className="check">
            <input type="checkbox" checked={deleteFiles} onChange={(e) => setDeleteFiles(e.target.checked)} />
            Also delete {finished === 1 ? 'the downloaded file' : `the ${finished} downloaded files`} from disk
          </label>
        ) : null}
        <footer>
          <button type="button" onClick={onClose}>
            Keep
          </button>
          <button type="button" className="danger" onClick={() => void remove()}>
            Remove
          </button>
        </footer>
      </div>
    </Dialog>
  );
}
