import { useState } from 'react';
import type { TransferSummary } from '../../../electron/common/service';
import { useApp, useTransfers } from '../context';
import { useShallow } from '../store';
import { Dialog } from './Dialog';

/** What a removal touches on disk, by kind of transfer selected. */
export interface Removing {
  /** Completed downloads: their files stay unless the person asks for them to go. */
  finished: number;
  /** Unfinished downloads (moving, waiting, paused, failed): their partial files always go. */
  unfinished: number;
  /** Uploads, in any state: the file sent is the person's own and never deleted. */
  uploads: number;
}

export function removing(rows: Array<Pick<TransferSummary, 'direction' | 'state'> | undefined>): Removing {
  const count: Removing = { finished: 0, unfinished: 0, uploads: 0 };
  for (const t of rows) {
    if (!t) continue;
    if (t.direction === 'upload') count.uploads++;
    else if (t.state === 'completed') count.finished++;
    else if (t.state !== 'canceled') count.unfinished++; // a canceled download's partial is gone already
  }
  return count;
}

const files = (n: number): string => (n === 1 ? 'the file' : `the ${n} files`);
/** "This download is", "1 download is", "3 downloads are": the subject of a line about some of the selection. */
const downloads = (alone: boolean, n: number): string => (alone ? 'This download is' : n === 1 ? '1 download is' : `${n} downloads are`);

/** The Remove button says exactly what it does, including what it keeps. */
export function removeAction(r: Removing, deleteFiles: boolean): string {
  if (r.finished === 0) return 'Remove';
  return deleteFiles ? `Remove and delete ${files(r.finished)}` : `Remove from list, keep ${files(r.finished)}`;
}

/**
 * Removing says, for what is selected, what happens on disk: a finished download's file
 * stays unless the person asks (never deleted unasked); an unfinished one's partial always
 * goes; an upload's file is never touched.
 */
export function RemoveDialog({ ids, onClose }: { ids: string[]; onClose(): void }) {
  const { client, report } = useApp();
  const r = useTransfers(useShallow((s) => removing(ids.map((id) => s.byId.get(id)))));
  const [deleteFiles, setDeleteFiles] = useState(false);
  const remove = async (): Promise<void> => {
    const result = await client.remove({ ids, deleteFiles: deleteFiles && r.finished > 0 });
    if (!result.ok) report(result.error.message);
    onClose();
  };
  const one = ids.length === 1;
  return (
    <Dialog title={one ? 'Remove this transfer?' : `Remove ${ids.length} transfers?`} onClose={onClose}>
      <div className="dialog-body">
        {r.finished > 0 ? (
          <>
            <p>
              {downloads(one, r.finished)} finished: {r.finished === 1 ? 'its file stays' : 'their files stay'} on disk unless you tick the box below.
            </p>
            <label className="check">
              <input type="checkbox" checked={deleteFiles} onChange={(e) => setDeleteFiles(e.target.checked)} />
              Also delete {r.finished === 1 ? 'the downloaded file' : `the ${r.finished} downloaded files`} from disk
            </label>
          </>
        ) : null}
        {r.unfinished > 0 ? (
          <p>
            {downloads(one, r.unfinished)} unfinished: {r.unfinished === 1 ? 'the part that has arrived is' : 'the parts that have arrived are'} deleted, so {r.unfinished === 1 ? 'it' : 'they'}{' '}
            cannot be continued later.
          </p>
        ) : null}
        {r.uploads > 0 ? <p>{r.uploads === 1 ? 'Your file stays where it is: only the upload leaves the list.' : 'Your files stay where they are: only the uploads leave the list.'}</p> : null}
        <footer>
          {/* The safe choice has the focus: Enter right after Delete removes nothing. */}
          <button type="button" onClick={onClose} data-autofocus>
            Keep in list
          </button>
          <button type="button" className="danger" onClick={() => void remove()}>
            {removeAction(r, deleteFiles)}
          </button>
        </footer>
      </div>
    </Dialog>
  );
}
