import { useEffect, useState } from 'react';
import { formatBytes } from '../../../electron/common/format';
import type { TransferDetails } from '../../../electron/common/service';
import { useApp, useTransfers } from '../context';
import { stateLabel } from './actions';
import { ChangeLink } from './ChangeLink';
import { IntegrityBadge } from './IntegrityBadge';

const time = (at: number): string => new Date(at).toLocaleString();

const VERDICT: Record<TransferDetails['summary']['integrity']['status'], string> = {
  verified: 'Verified: the bytes match the reference checksum',
  unverified: 'SHA-256 recorded: there was no checksum to compare with, so this proves the bytes Ferry saved, not who made them',
  mismatch: 'Mismatch: the bytes differ from the reference checksum',
  pending: 'Not finished yet',
};

/** The verdict in words; one that never came (a failed or canceled transfer) says why. */
function verdictWords(t: Pick<TransferDetails['summary'], 'state' | 'integrity' | 'direction'>): string {
  if (t.integrity.status !== 'pending') return VERDICT[t.integrity.status];
  if (t.state === 'failed') return `Not verified: the ${t.direction} failed`;
  if (t.state === 'canceled') return `Not verified: the ${t.direction} was canceled`;
  return VERDICT.pending;
}

const PRIORITIES: Array<[number, string]> = [
  [10, 'High'],
  [0, 'Normal'],
  [-10, 'Low'],
];

/** Where a waiting transfer stands: its priority and its place among its peers. */
/** A download handed over by the browser extension says so, with the page it came from. */
function CapturedFrom({ history }: { history: TransferDetails['history'] }) {
  const captured = history.find((h) => h.kind === 'captured');
  if (!captured) return null;
  const page = typeof captured.detail.page === 'string' ? captured.detail.page : null;
  return (
    <p data-testid="captured-from">
      Captured from the browser{page ? ' on the page ' : ''}
      {page ? <span className="mono">{page}</span> : null}
    </p>
  );
}

function QueuePlace({ id, priority }: { id: string; priority: number }) {
  const { client, report } = useApp();
  const run = (p: Promise<{ ok: boolean; error?: { message: string } }>): void => void p.then((r) => !r.ok && report(r.error!.message));
  return (
    <section aria-label="Place in the queue">
      <h3>Place in the queue</h3>
      <label className="inline">
        Priority{' '}
        <select value={PRIORITIES.some(([p]) => p === priority) ? priority : 0} onChange={(e) => run(client.setPriority({ id, priority: Number(e.target.value) }))}>
          {PRIORITIES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div className="buttons">
        <button type="button" onClick={() => run(client.move({ id, placement: 'top' }))} title="Alt+Home">
          Move to top
        </button>
        <button type="button" onClick={() => run(client.move({ id, placement: 'up' }))} title="Alt+Up">
          Move up
        </button>
        <button type="button" onClick={() => run(client.move({ id, placement: 'down' }))} title="Alt+Down">
          Move down
        </button>
        <button type="button" onClick={() => run(client.move({ id, placement: 'bottom' }))} title="Alt+End">
          Move to bottom
        </button>
      </div>
    </section>
  );
}

/** Everything Ferry knows about one transfer: where it came from, each resume and its checks, the verdict. */
export function DetailsPanel({ id }: { id: string }) {
  const { client, store } = useApp();
  const summary = useTransfers((s) => s.byId.get(id));
  const [details, setDetails] = useState<TransferDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  // Fetched again whenever the row's state, resumes or verdict change (not on every progress tick).
  const version = summary ? `${summary.state}/${summary.resumes}/${summary.restarts}/${summary.integrity.status}/${summary.error?.message ?? ''}/${summary.retrying?.since ?? ''}` : '';
  // Escape closes the panel, unless a dialog above it takes the key first.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      store.getState().openDetails(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [store]);
  useEffect(() => {
    let live = true;
    void client.details({ id }).then((r) => {
      if (!live) return;
      if (r.ok) setDetails(r.value);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [client, id, version]);
  if (!summary) return null;
  const integrity = summary.integrity;
  const sha = details?.sha256 ?? (integrity.algorithm === 'sha256' ? integrity.actual : null);
  const copy = async (): Promise<void> => {
    if (!sha) return;
    await navigator.clipboard?.writeText(sha).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <aside className="details" aria-label={`Details of ${summary.name}`}>
      <header>
        <h2 title={summary.name}>{summary.name}</h2>
        <button type="button" className="close" aria-label="Close details" onClick={() => store.getState().openDetails(null)}>
          ×
        </button>
      </header>
      <dl>
        <dt>State</dt>
        <dd>
          {stateLabel(summary)} <IntegrityBadge transfer={summary} />
        </dd>
        <dt>Size</dt>
        <dd>{summary.total !== null ? `${formatBytes(summary.bytes)} of ${formatBytes(summary.total)}` : formatBytes(summary.bytes)}</dd>
        {summary.path ? (
          <>
            <dt>{summary.direction === 'download' ? 'Saved as' : 'File'}</dt>
            <dd className="mono">{summary.path}</dd>
          </>
        ) : null}
      </dl>
      {summary.error ? (
        <section aria-label="Error">
          <h3>What went wrong</h3>
          <p className="error">{summary.error.message}</p>
          {summary.error.retryable ? <p className="hint">Trying again later may work: choose Retry.</p> : null}
        </section>
      ) : null}
      {summary.direction === 'download' && summary.state !== 'completed' && summary.state !== 'canceled' ? <ChangeLink id={id} /> : null}
      {summary.state === 'queued' || summary.state === 'paused' ? <QueuePlace id={id} priority={summary.priority} /> : null}
      <section aria-label="Integrity">
        <h3>Integrity</h3>
        <dl>
          <dt>Verdict</dt>
          <dd>{verdictWords(summary)}</dd>
          {integrity.algorithm ? (
            <>
              <dt>Algorithm</dt>
              <dd>{integrity.algorithm}</dd>
            </>
          ) : null}
          {integrity.source ? (
            <>
              <dt>Reference from</dt>
              <dd>
                {integrity.source === 'sidecar' && details?.reference?.from ? (
                  <>
                    checksum file <span className="mono">{details.reference.from}</span>
                  </>
                ) : (
                  integrity.source
                )}
              </dd>
            </>
          ) : null}
          {integrity.expected ? (
            <>
              <dt>Expected</dt>
              <dd className="mono" data-testid="expected-digest">
                {integrity.expected}
              </dd>
            </>
          ) : null}
          {integrity.actual && integrity.expected ? (
            <>
              <dt>Actual</dt>
              <dd className="mono" data-testid="actual-digest">
                {integrity.actual}
              </dd>
            </>
          ) : null}
          {sha ? (
            <>
              <dt>SHA-256</dt>
              <dd className="mono">
                {sha}{' '}
                <button type="button" onClick={() => void copy()}>
                  {copied ? 'Copied' : 'Copy SHA-256'}
                </button>
              </dd>
            </>
          ) : null}
        </dl>
        {details?.reference && integrity.source ? <p className="hint">{details.reference.meaning}</p> : null}
      </section>
      {details ? (
        <>
          <section aria-label="Source">
            <h3>{summary.direction === 'download' ? 'Where it came from' : 'Where it goes'}</h3>
            <ol className="chain">
              {details.urlChain.map((url, i) => (
                <li key={i} className="mono">
                  {url}
                </li>
              ))}
            </ol>
            {details.uploadUrl ? <p className="mono">Upload URL: {details.uploadUrl}</p> : null}
            <CapturedFrom history={details.history} />
            {(details.hostLimits ?? []).map((h) => (
              <p key={h.host} className="hint host-limit" title={`Since ${new Date(h.since).toLocaleString()}`}>
                {h.message}
              </p>
            ))}
            {details.validators.etag || details.validators.lastModified ? (
              <dl>
                {details.validators.etag ? (
                  <>
                    <dt>ETag</dt>
                    <dd className="mono">{details.validators.etag}</dd>
                  </>
                ) : null}
                {details.validators.lastModified ? (
                  <>
                    <dt>Last-Modified</dt>
                    <dd>{details.validators.lastModified}</dd>
                  </>
                ) : null}
                <dt>Resumable</dt>
                <dd>{details.validators.ifRange ? `yes, with If-Range ${details.validators.ifRange}` : 'no strong validator: an interruption restarts it'}</dd>
              </dl>
            ) : null}
          </section>
          <section aria-label="Resumes">
            <h3>Resumes ({details.resumes.length})</h3>
            {details.resumes.length + details.repairs.length + details.restarts.length === 0 ? <p className="hint">Never interrupted.</p> : null}
            <ul className="events">
              {details.resumes.map((r, i) => (
                <li key={i}>
                  {time(r.at)}: from {formatBytes(r.offset)}
                  {r.validator ? `, If-Range ${r.validator}` : ''}
                  {r.overlap ? `, overlap check ${r.overlap}` : ''}
                  {r.segments && r.segments > 1 ? `, ${r.segments} segments` : ''}
                </li>
              ))}
              {details.repairs.map((r, i) => (
                <li key={`r${i}`}>
                  {time(r.at)}: {r.blocks.length} damaged block{r.blocks.length === 1 ? '' : 's'} fetched again
                </li>
              ))}
              {details.restarts.map((r, i) => (
                <li key={`s${i}`}>
                  {time(r.at)}: restarted: {r.reason}
                </li>
              ))}
            </ul>
          </section>
          {details.errors.length > 0 ? (
            <section aria-label="Errors">
              <h3>Errors</h3>
              <ul className="events">
                {details.errors.map((e, i) => (
                  <li key={i}>
                    {time(e.at)}: {e.error.message}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      ) : error ? (
        <p className="error">{error}</p>
      ) : null}
    </aside>
  );
}
