import { type FormEvent, useState } from 'react';
import { useApp } from '../context';

/**
 * "Change link…" for an unfinished download (DESIGN.md section 10): the engine takes the new
 * link only when it serves the same bytes, and says why when it does not; the old link and
 * the bytes held stay either way until it is taken.
 */
export function ChangeLink({ id }: { id: string }) {
  const { client } = useApp();
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    const answer = await client.relink({ id, url: url.trim() });
    setBusy(false);
    if (!answer.ok) {
      setProblem(answer.error.message);
      return;
    }
    setTaken(`New link taken: ${answer.value.how}.${answer.value.droppedHeaders ? ' Headers given for the old link stay with its site.' : ''}`);
    setOpen(false);
    setUrl('');
  };
  return (
    <section aria-label="Change link">
      <h3>Link</h3>
      {taken ? <p role="status">{taken}</p> : null}
      {open ? (
        <form onSubmit={(e) => void submit(e)}>
          <label>
            New link
            <input
              type="url"
              required
              value={url}
              placeholder="https://mirror.example.org/file.iso"
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `relink-problem-${id}` : 'relink-hint'}
              onChange={(e) => setUrl(e.target.value)}
              autoComplete="off"
              autoFocus
            />
          </label>
          {problem ? (
            <p className="error" role="alert" id={`relink-problem-${id}`}>
              {problem}
            </p>
          ) : (
            <p className="hint" id="relink-hint">
              Ferry checks that the new link serves the same bytes before it continues from them.
            </p>
          )}
          <div className="buttons">
            <button type="submit" disabled={busy || url.trim() === ''}>
              {busy ? 'Checking…' : 'Check and continue'}
            </button>
            <button type="button" onClick={() => (setOpen(false), setProblem(null))}>
              Keep the old link
            </button>
          </div>
        </form>
      ) : (
        <button type="button" onClick={() => (setOpen(true), setTaken(null))}>
          Change link…
        </button>
      )}
    </section>
  );
}
