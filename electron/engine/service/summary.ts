import type { TransferSummary } from '../../common/service';
import type { TransferRecord } from '../../common/transfer';

/** What moves right now for a running transfer, as the scheduler knows it. */
export interface LiveProgress {
  bytes: number;
  total: number | null;
  speed: number;
  retrying?: TransferSummary['retrying'];
}

/** The name a person recognises: the final name, else the one asked for, else the URL's last part. */
export function displayName(record: TransferRecord): string {
  if (record.direction === 'upload') return record.relativePath ?? record.name ?? record.source ?? record.url;
  if (record.name) return record.name;
  if (record.requestedName) return record.requestedName;
  try {
    const last = decodeURIComponent(new URL(record.url).pathname.split('/').filter(Boolean).pop() ?? '');
    return last || new URL(record.url).host;
  } catch {
    return record.url;
  }
}

/** One queue row from the stored record and, when it runs, its live progress. */
export function summarize(record: TransferRecord, live: LiveProgress | null): TransferSummary {
  const total = live?.total ?? record.total;
  const bytes = live ? live.bytes : record.state === 'completed' ? (record.total ?? record.offset) : record.offset;
  const speed = live ? Math.round(live.speed) : 0;
  const eta = live && total !== null && speed > 0 ? Math.max(0, Math.round((total - bytes) / speed)) : null;
  return {
    id: record.id,
    direction: record.direction,
    // An upload does not store 'active' (it would be one more write per small file); the
    // scheduler is the authority on what runs.
    state: live ? 'active' : record.state,
    name: displayName(record),
    url: record.url,
    dir: record.dir,
    path: record.direction === 'upload' ? record.source : record.path,
    bytes,
    total,
    speed,
    eta,
    integrity: record.integrity,
    sha256: record.sha256,
    // Every byte is in and the verdict is not: the file is being hashed and checked.
    checking: live !== null && total !== null && bytes >= total && record.integrity.status === 'pending',
    retrying: live?.retrying ?? null,
    error: record.error,
    priority: record.priority,
    seq: record.seq,
    resumes: record.resumes,
    restarts: record.restarts,
    createdAt: record.createdAt,
    completedAt: record.completedAt,
  };
}

const OBJECT_FIELDS: ReadonlySet<string> = new Set(['integrity', 'error', 'retrying']);

/** The fields of `next` that differ from `previous` (all of them when there is none). */
export function changedFields(previous: TransferSummary | undefined, next: TransferSummary): Partial<TransferSummary> | null {
  if (!previous) return next;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(next) as Array<keyof TransferSummary>) {
    const a = previous[key];
    const b = next[key];
    const same = OBJECT_FIELDS.has(key) ? JSON.stringify(a) === JSON.stringify(b) : a === b;
    if (!same) {
      out[key] = b;
      any = true;
    }
  }
  return any ? (out as Partial<TransferSummary>) : null;
}
