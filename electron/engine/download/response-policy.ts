import type { TransferRecord } from '../../common/transfer';
import { parseContentLength, parseContentRange } from '../http/content-range';
import { serverDigestReference } from '../http/digest-headers';
import type { ResponseHeaders } from '../http/headers';
import { readValidators, validatorsChanged } from '../http/validators';

/**
 * What a server's answer means for the bytes we hold: pure decisions over a record and
 * response headers (DESIGN.md section 3, rules 1 to 5), table-tested apart from any I/O,
 * in the manner of Chromium's HandleSuccessfulServerResponse.
 */

/** The parts of a record the policy reads. */
export type PolicyRecord = Pick<TransferRecord, 'encoded' | 'total' | 'ifRange' | 'etag' | 'lastModified' | 'userChecksum' | 'serverChecksum'>;

/** Why the bytes held cannot be continued, or '' when they can (rules 1 and 2). */
export function notResumableReason(rec: PolicyRecord): string {
  if (rec.encoded) return 'the server encoded the file (Content-Encoding), so its bytes cannot be resumed';
  if (rec.total === null) return 'the server did not say how long the file is';
  // Rule 1: without a strong validator only a known digest can prove a joined result.
  if (!rec.ifRange && !rec.userChecksum && !rec.serverChecksum) return 'the server gave no strong validator (ETag or old enough Last-Modified)';
  return '';
}

/** What to do with the answer to a range request, by status alone. */
export type RangeAnswer = 'range' | 'whole-file' | 'not-satisfiable' | 'status';

export function classifyRangeAnswer(status: number): RangeAnswer {
  if (status === 206) return 'range';
  if (status === 200) return 'whole-file'; // rule 4: the range was ignored or the validator changed
  if (status === 416) return 'not-satisfiable'; // rule 5
  return 'status';
}

/** Rule 5: a 416 means done when every byte of a known total is held; otherwise restart. */
export function afterNotSatisfiable(rec: PolicyRecord, held: number): 'complete' | 'restart' {
  return rec.total !== null && held === rec.total ? 'complete' : 'restart';
}

export type RangeVerdict = { ok: true; start: number; end: number } | { ok: false; reason: string };

/**
 * Rule 3 and the other ways a 206 can be unusable: the Content-Range must start exactly
 * where asked, name the recorded total, match the body's length; no encoding, no
 * multipart, the same validators and the same server digest. Anything else: restart.
 */
export function judgeRangeResponse(rec: PolicyRecord, h: ResponseHeaders, requestedStart: number): RangeVerdict {
  const fail = (reason: string): RangeVerdict => ({ ok: false, reason });
  const range = parseContentRange(h.get('content-range'));
  if (!range) return fail(`the server's 206 has a missing or malformed Content-Range ("${h.get('content-range') ?? ''}")`);
  if (range.start !== requestedStart) return fail(`the server sent bytes from ${range.start}, not the requested ${requestedStart}`);
  if (range.total !== rec.total) return fail(`the file's length changed on the server (${rec.total} -> ${range.total ?? 'unknown'})`);
  const length = parseContentLength(h.get('content-length'));
  if (length !== null && length !== range.end - range.start + 1) return fail('the 206 body length does not match its Content-Range');
  const encoding = h.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return fail(`the server encoded a range (${encoding}); ranges of encoded bytes cannot be joined`);
  if ((h.get('content-type') ?? '').toLowerCase().startsWith('multipart/byteranges')) return fail('the server sent several ranges at once');
  if (validatorsChanged(rec, readValidators(h))) return fail('the file changed on the server (its validator is different)');
  const reference = serverDigestReference(h, false);
  const known = rec.serverChecksum;
  if (reference && known && reference.algorithm === known.algorithm && reference.hex !== known.hex) {
    return fail(`the file changed on the server (its ${reference.source} is different)`);
  }
  return { ok: true, start: range.start, end: range.end };
}

/**
 * Whether a fresh download may be split across connections: what a resume needs (a known
 * length, no encoding, a strong validator sent as If-Range), a server that says it serves
 * ranges, and a file big enough to be worth the extra requests.
 */
export function splittable(h: ResponseHeaders, total: number | null, encoded: boolean, ifRange: string | null, connections: number, minSegmentBytes: number): total is number {
  if (connections < 2 || total === null || encoded || !ifRange) return false;
  return /\bbytes\b/i.test(h.get('accept-ranges') ?? '') && total >= 2 * minSegmentBytes;
}
