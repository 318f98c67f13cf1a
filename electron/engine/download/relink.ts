/**
 * A new link for old bytes (DESIGN.md section 10): an unfinished download takes a new URL
 * only when the new URL proves it serves the same bytes. The proof: the same total, and the
 * bytes the new link serves at the end of what is held (the overlap) equal to the bytes on
 * disk; then either the same strong validator, or a sample of the recorded block digests
 * matched by what the new link serves. Nothing here changes the record: the caller applies
 * an accepted proof, and a refused one leaves the old link, the partial and the record as
 * they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes } from '../../common/format';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { blockDigestOf, blockDigestsLoaded } from '../hash/block-digest';
import { parseContentRange } from '../http/content-range';
import { leavesOrigin } from '../http/headers';
import { readValidators, type Validators } from '../http/validators';
import { collectBody } from './body-pump';
import { DownloadFetcher, release } from './fetcher';
import type { DownloadJob } from './job';
import { PARTIAL_SUFFIX } from './partial-file';

/** The bytes before the held offset compared with the new link's (as a resume's overlap). */
const OVERLAP_BYTES = 64 << 10;
/** Recorded blocks re-fetched from the new link when no strong validator vouches for it. */
const SAMPLED_BLOCKS = 3;

export type RelinkProof =
  | { ok: true; how: string; validators: Validators; effectiveUrl: string; chain: string[] }
  | { ok: false; reason: string };

const refuse = (reason: string): RelinkProof => ({ ok: false, reason });

/** Which recorded blocks to sample: the first, the last and the middle of those held whole. */
export function sampleBlocks(complete: number[], count = SAMPLED_BLOCKS): number[] {
  if (complete.length <= count) return complete;
  const picks = new Set<number>();
  for (let i = 0; i < count; i++) picks.add(complete[Math.round((i * (complete.length - 1)) / (count - 1))]!);
  return [...picks];
}

const isStrongEtag = (etag: string | null): etag is string => !!etag && !/^w\//i.test(etag);

/**
 * Asks `url` for ranges of the file `rec` describes and compares. `rec.headers` must be in
 * clear: they go to the new URL only when it has the origin they were given for.
 */
export async function proveSameBytes(
  ctx: EngineContext,
  rec: TransferRecord,
  blocks: Map<number, string>,
  url: string,
  signal: AbortSignal,
): Promise<RelinkProof> {
  if (rec.total === null) return refuse('the size of the file was never known, so nothing can show that the new link serves the same file');
  if (!rec.name) return refuse('nothing was downloaded yet');
  const partial = path.join(rec.dir, rec.name + PARTIAL_SUFFIX);
  let held: fs.Stats;
  try {
    held = fs.lstatSync(partial);
  } catch {
    return refuse(`the partial file ${partial} is gone, so there are no bytes to continue; add the link with ferry get instead`);
  }
  if (!held.isFile() || held.size < rec.offset) return refuse(`the partial file ${partial} is no longer the one Ferry wrote (${held.isFile() ? 'it is shorter than recorded' : 'it is not a file'})`);

  const fetchRange = rangeProbe(ctx, rec, url, partial, signal);
  const fd = fs.openSync(partial, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const readHeld = (from: number, length: number): Buffer => {
      const buffer = Buffer.alloc(length);
      const n = fs.readSync(fd, buffer, 0, length, from);
      return buffer.subarray(0, n);
    };

    // What is held: one stream's prefix, or (segmented) the complete blocks on record.
    const segmented = ctx.store.segments(rec.id).length > 0;
    const blockSize = rec.blockSize;
    const blockLength = (index: number): number => Math.min(blockSize, rec.total! - index * blockSize);
    if (rec.offset === 0 && blocks.size === 0) {
      // Nothing held: nothing to keep, so nothing to prove but the size.
      const first = await fetchRange(0, 0);
      if (typeof first === 'string') return refuse(first);
      return { ok: true, how: 'nothing was held yet; the download starts from the new link', validators: first.validators, effectiveUrl: first.url, chain: first.chain };
    }
    if (!segmented && rec.offset <= Math.max(blockSize, OVERLAP_BYTES)) {
      // A little held: compare every byte of it.
      const all = await fetchRange(0, rec.offset - 1);
      if (typeof all === 'string') return refuse(all);
      if (!all.bytes.equals(readHeld(0, rec.offset))) return refuse(`the new link serves other bytes in the first ${formatBytes(rec.offset)} than the ones held`);
      return accepted(all, `every byte held (${formatBytes(rec.offset)}) matches`);
    }

    let answer: Exclude<Awaited<ReturnType<typeof fetchRange>>, string> | null = null;
    const checks: string[] = [];
    if (!segmented) {
      const from = rec.offset - OVERLAP_BYTES;
      const overlap = await fetchRange(from, rec.offset - 1);
      if (typeof overlap === 'string') return refuse(overlap);
      if (!overlap.bytes.equals(readHeld(from, OVERLAP_BYTES))) return refuse(`the new link serves other bytes at ${formatBytes(from)}–${formatBytes(rec.offset)} than the ones held`);
      checks.push(`the ${formatBytes(OVERLAP_BYTES)} before ${formatBytes(rec.offset)} match`);
      answer = overlap;
      if (isStrongEtag(rec.etag) && overlap.validators.etag === rec.etag) return accepted(overlap, `the same strong validator (ETag ${rec.etag}) and ${checks.join('')}`);
    }
    const samples = sampleBlocks([...blocks.keys()].sort((a, b) => a - b));
    if (samples.length === 0) return refuse('too little is held to compare with the new link');
    for (const index of samples) {
      const from = index * blockSize;
      const got = await fetchRange(from, from + blockLength(index) - 1);
      if (typeof got === 'string') return refuse(got);
      await blockDigestsLoaded();
      if (blockDigestOf(got.bytes, blocks.get(index)!) !== blocks.get(index)) return refuse(`block ${index} (at ${formatBytes(from)}) of the new link differs from the one recorded`);
      answer ??= got;
    }
    checks.push(`${samples.length} recorded block digest${samples.length > 1 ? 's' : ''} match (block${samples.length > 1 ? 's' : ''} ${samples.join(', ')})`);
    return accepted(answer!, checks.join('; '));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Taken, when the new link can also be resumed from: without a strong validator to send as
 * If-Range (rule 1) the next request would have to start from 0, and the bytes kept would
 * be thrown away after all.
 */
export type RangeAnswer = { bytes: Buffer; validators: Validators; url: string; chain: string[] } | string;

/**
 * Asks `url` for byte ranges of the file `rec` describes, as a resume would but without
 * If-Range (another link's validators are its own) and with the person's headers only for
 * their origin: each answer must be a 206 of exactly the bytes asked for, of the same
 * total; anything else is a sentence saying what the link did instead.
 */
export function rangeProbe(ctx: EngineContext, rec: TransferRecord, url: string, partial: string, signal: AbortSignal): (from: number, to: number) => Promise<RangeAnswer> {
  const probe: TransferRecord = { ...rec, url, effectiveUrl: null, urlChain: [], ifRange: null, headers: leavesOrigin(rec.url, url) ? [] : rec.headers };
  const job: DownloadJob = {
    ctx,
    rec: probe,
    live: null,
    seg: null,
    save: () => undefined,
    saveLater: () => undefined,
    saveInBatch: () => Promise.resolve(),
    adopt: () => undefined,
    history: () => undefined,
    partialPath: () => partial,
  };
  const fetcher = new DownloadFetcher(job);
  return async (from, to) => {
    const fetched = await fetcher.resumable({ range: `bytes=${from}-${to}` }, signal);
    const status = fetched.response.status;
    if (status !== 206) {
      release(fetched);
      return status === 200 ? 'the new link does not serve byte ranges, so the bytes held cannot be continued from it' : `the new link answered HTTP ${status}`;
    }
    const range = parseContentRange(fetched.response.headers.get('content-range'));
    if (!range || range.start !== from || range.end !== to) {
      release(fetched);
      return `the new link answered bytes ${fetched.response.headers.get('content-range') ?? '(no Content-Range)'} when asked for ${from}-${to}`;
    }
    if (range.total !== rec.total) {
      release(fetched);
      return `the new link serves a file of ${range.total === null ? 'unknown size' : formatBytes(range.total)}, not ${formatBytes(rec.total!)}`;
    }
    const validators = readValidators(fetched.response.headers);
    const bytes = await collectBody(fetched, to - from + 1, signal);
    return { bytes, validators, url: fetched.url, chain: fetched.chain };
  };
}

function accepted(answer: { validators: Validators; url: string; chain: string[] }, how: string): RelinkProof {
  if (!answer.validators.ifRange) return refuse('the new link gives no strong validator (an ETag, or a Last-Modified older than its Date), so Ferry could not safely resume from it');
  return { ok: true, how, validators: answer.validators, effectiveUrl: answer.url, chain: answer.chain };
}
