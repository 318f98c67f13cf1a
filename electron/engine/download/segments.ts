/**
 * How a segmented download divides its file. Segments are disjoint byte ranges in order,
 * covering [0, total); each starts on a block boundary so every block's digest is computed
 * by exactly one segment. `position` is how far a segment holds bytes.
 */
export interface Segment {
  start: number;
  end: number;
  position: number;
  /** SHA-256 of the segment's bytes since its last block boundary; null at a boundary. */
  tail: string | null;
}

/** Largest piece a connection takes at once; see pieceCount. */
const MAX_PIECE_BYTES = 64 << 20;

/**
 * How many pieces to cut a file into for `connections` connections. Connections take the
 * pieces in file order, so the bytes held without a gap from 0 grow while the download
 * runs and the whole-file digest keeps up with them, instead of reading most of the file
 * after the last byte arrives (eight equal parts of 10 GiB would leave 8.75 GiB to hash at
 * the end). `perConnection` pieces each (one request per piece), at most 64 MiB a piece
 * when that is 2 or more.
 */
export function pieceCount(total: number, connections: number, perConnection: number): number {
  if (perConnection <= 1) return connections;
  return Math.max(connections * perConnection, Math.ceil(total / MAX_PIECE_BYTES));
}

/** Up to `count` equal segments, on block boundaries, none smaller than `minBytes`. */
export function planSegments(total: number, blockSize: number, count: number, minBytes: number): Segment[] {
  count = Math.max(1, Math.min(count, Math.floor(total / Math.max(minBytes, blockSize))));
  const blocks = Math.ceil(total / blockSize);
  const segments: Segment[] = [];
  for (let i = 0; i < count; i++) {
    const start = Math.round((blocks * i) / count) * blockSize;
    const end = i === count - 1 ? total : Math.round((blocks * (i + 1)) / count) * blockSize;
    if (end > start) segments.push({ start, end, position: start, tail: null });
  }
  return segments;
}

/** Bytes held in every segment together. */
export function bytesHeld(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + (s.position - s.start), 0);
}

/** The end of the furthest bytes any segment holds (a segment holding none asks for nothing). */
export function furthestHeld(segments: readonly Segment[]): number {
  return segments.reduce((max, s) => (s.position > s.start ? Math.max(max, s.position) : max), 0);
}

/** The end of the bytes held without a gap from 0: what the whole-file digest can take in. */
export function contiguousEnd(segments: readonly Segment[]): number {
  let end = 0;
  for (const s of segments) {
    if (s.start !== end) return end;
    if (s.position < s.end) return s.position;
    end = s.end;
  }
  return end;
}

export const isComplete = (segment: Segment): boolean => segment.position >= segment.end;

/**
 * Splits the unfinished segment with the most bytes left, on a block boundary near the
 * middle of what it has left, so a connection that finished early helps a slow one. Each
 * half must be worth a request and the bytes a cut connection wastes (what the server had
 * already sent on it): at least a minimum segment.
 * Returns the new segment (already inserted in order), or null when none is worth splitting.
 */
export function splitLargest(
  segments: Segment[],
  blockSize: number,
  minBytes: number,
  busy: ReadonlySet<Segment>,
  positionOf: (s: Segment) => number = (s) => s.position,
): Segment | null {
  let best: Segment | null = null;
  let left = 0;
  for (const s of segments) {
    const remaining = s.end - positionOf(s);
    if (busy.has(s) && remaining > left) {
      best = s;
      left = remaining;
    }
  }
  if (!best || left < 2 * Math.max(minBytes, blockSize)) return null;
  const middle = positionOf(best) + Math.floor(left / 2);
  const boundary = Math.ceil(middle / blockSize) * blockSize;
  if (boundary <= positionOf(best) || boundary >= best.end) return null;
  const added: Segment = { start: boundary, end: best.end, position: boundary, tail: null };
  best.end = boundary;
  segments.splice(segments.indexOf(best) + 1, 0, added);
  return added;
}

/**
 * Gives each bad block of a verified partial a segment of its own, so exactly that block is
 * fetched again: the segment holding it is cut into the part before, the block, and the
 * part after (which keeps its bytes). Returns the new list.
 */
export function isolateBlocks(segments: readonly Segment[], bad: readonly number[], blockSize: number): Segment[] {
  let out = segments.map((s) => ({ ...s }));
  for (const index of bad) {
    const from = index * blockSize;
    const next: Segment[] = [];
    for (const s of out) {
      if (from < s.start || from >= s.position) {
        next.push(s);
        continue;
      }
      const to = Math.min(from + blockSize, s.end);
      if (from > s.start) next.push({ start: s.start, end: from, position: from, tail: null });
      next.push({ start: from, end: to, position: from, tail: null });
      if (to < s.end) next.push({ start: to, end: s.end, position: Math.max(to, s.position), tail: s.position > to ? s.tail : null });
    }
    out = next;
  }
  return out;
}
