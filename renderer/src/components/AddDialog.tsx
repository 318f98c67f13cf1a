import { type FormEvent, useState } from 'react';
import { useApp, useTransfers } from '../context';
import { Dialog, FormFooter } from './Dialog';

/** Every http(s) URL in a block of text (one per line, or pasted from anywhere). */
export function urlsIn(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s"'<>]+/gi) ?? [])];
}

/** The non-blank lines that hold no link, so the dialog can say what it will not add. */
export function linesWithoutLinks(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && urlsIn(line).length === 0);
}

/** Add downloads: a list of links, a folder, an optional checksum or checksum file. */
export function AddDialog({ initial, onClose }: { initial: string; onClose(): void }) {
  const { client, store } = useApp();
  const downloadDir = useTransfers((s) => s.settings?.downloadDir ?? '');
  const [links, setLinks] = useState(initial);
  const [dir, setDir] = useState(downloadDir);
  const [checksum, setChecksum] = useState('');
  const [checksumFile, setChecksumFile] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const urls = urlsIn(links);
  const ignored = linesWithoutLinks(links);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (urls.length === 0) return setError('Paste at least one link starting with http:// or https://.');
    if (checksum.trim() && urls.length > 1) return setError('A checksum goes with a single link; add the others separately.');
    setBusy(true);
    const result = await client.addDownloads({ urls, dir: dir.trim() || null, checksum: checksum.trim() || null, checksumFile: checksumFile.trim() || null });
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    store.getState().spotlightAdded(result.value.ids); // with those found already there
    onClose();
  };

  return (
    <Dialog title="Add downloads" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="add-links">Links</label>
        <textarea id="add-links" rows={5} value={links} onChange={(e) => setLinks(e.target.value)} placeholder="https://example.com/file.iso (one per line)" data-autofocus />
        <p className="hint">
          {urls.length === 1 ? '1 link' : `${urls.length} links`}
          {ignored.length > 0 ? `; ${ignored.length === 1 ? '1 line holds' : `${ignored.length} lines hold`} no http(s) link and will be skipped: ${ignored.slice(0, 3).map((l) => `"${l.length > 40 ? `${l.slice(0, 39)}…` : l}"`).join(', ')}${ignored.length > 3 ? ', …' : ''}` : ''}
        </p>
        <label htmlFor="add-dir">Save to</label>
        <input id="add-dir" value={dir} onChange={(e) => setDir(e.target.value)} spellCheck={false} />
        <label htmlFor="add-checksum">Checksum (optional)</label>
        <input id="add-checksum" value={checksum} onChange={(e) => setChecksum(e.target.value)} placeholder="sha256:9f86d08…" spellCheck={false} />
        <label htmlFor="add-checksum-file">Checksum file (optional)</label>
        <input
          id="add-checksum-file"
          value={checksumFile}
          onChange={(e) => setChecksumFile(e.target.value)}
          placeholder="https://example.com/SHA256SUMS, or its full path on this computer"
          spellCheck={false}
        />
        <FormFooter error={error} submit="Start" busy={busy} onClose={onClose} />
      </form>
    </Dialog>
  );
}
