/**
 * `ferry list` for a person: a header, a short id to tell same-named rows apart (the full id
 * is in --json), the state, how the bytes were proven, the size, the name, and for a failed
 * row the reason on the line below.
 */
import { formatBytes } from '../common/format';
import type { TransferSummary } from '../common/service';

const SHORT_ID = 8;

/** The shortest prefix of each id, from SHORT_ID characters up, that no other id shares. */
export function shortIds(ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const sorted = [...new Set(ids)].sort();
  sorted.forEach((id, i) => {
    let length = SHORT_ID;
    for (const other of [sorted[i - 1], sorted[i + 1]]) {
      if (other === undefined) continue;
      let common = 0;
      while (common < id.length && id[common] === other[common]) common++;
      length = Math.max(length, common + 1);
    }
    out.set(id, id.slice(0, Math.min(length, id.length)));
  });
  return out;
}

function verdict(row: TransferSummary): string {
  switch (row.integrity.status) {
    case 'verified':
      return 'verified';
    case 'mismatch':
      return 'MISMATCH';
    case 'unverified':
      return 'sha256 recorded';
    default:
      return '-';
  }
}

function size(row: TransferSummary): string {
  if (row.state === 'completed') return formatBytes(row.total ?? row.bytes);
  return row.total !== null ? `${formatBytes(row.bytes)} of ${formatBytes(row.total)}` : formatBytes(row.bytes);
}

const STATE_WORDS: Record<TransferSummary['state'], string> = {
  queued: 'waiting',
  active: 'moving',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
};

/** The table, as text ending in a newline. A failed row's reason is said in full on the line below it. */
export function listTable(rows: TransferSummary[]): string {
  if (rows.length === 0) return 'No transfers yet. Start one with ferry get <url> or ferry put <path> --to <url>.\n';
  const ids = shortIds(rows.map((r) => r.id));
  const cells = rows.map((r) => [ids.get(r.id)!, r.direction === 'upload' ? 'up' : 'down', STATE_WORDS[r.state] ?? r.state, verdict(r), size(r), r.name]);
  const header = ['ID', 'DIR', 'STATE', 'VERDICT', 'SIZE', 'NAME'];
  const widths = header.map((h, col) => Math.max(h.length, ...cells.map((c) => c[col]!.length)));
  const line = (c: string[]): string => c.map((cell, col) => (col === c.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ');
  let out = `${line(header)}\n`;
  const indent = ' '.repeat(widths[0]! + 2);
  rows.forEach((row, i) => {
    out += `${line(cells[i]!)}\n`;
    if (row.state === 'failed' && row.error) out += `${indent}${row.error.message.replace(/\s+/g, ' ')}\n`;
  });
  return out;
}
