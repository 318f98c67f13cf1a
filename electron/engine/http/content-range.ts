/** `Content-Range: bytes START-END/TOTAL` (RFC 9110 14.4); TOTAL may be `*`. */
export interface ContentRange {
  start: number;
  end: number;
  total: number | null;
}

export function parseContentRange(value: string | undefined): ContentRange | null {
  if (!value) return null;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? null : Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (total !== null && (!Number.isSafeInteger(total) || end >= total)) return null;
  return { start, end, total };
}

/** Content-Length as a safe integer, or null when absent or malformed. */
export function parseContentLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  // Repeated identical values arrive joined ("10, 10"); differing values are malformed.
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p !== parts[0]) || !/^\d+$/.test(parts[0] ?? '')) return null;
  const n = Number(parts[0]);
  return Number.isSafeInteger(n) ? n : null;
}
