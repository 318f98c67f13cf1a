import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Clock, DownloadTuning } from '../context';
import { parseContentLength } from '../http/content-range';
import type { Transport } from '../http/transport';
import { StallWatch } from '../transfer/stall-watch';
import type { ChecksumFileAnswer, ChecksumFiles, HeadersFor } from './checksum-files';
import { parseSums } from './sums-parser';

/** A checksum file larger than this is not one (DESIGN.md section 10): it is ignored, never read whole. */
export const SIDECAR_MAX_BYTES = 1 << 20;
/** An answer is reused for this long: a folder's SHA256SUMS is asked for once per run, however many files. */
const REMEMBER_MS = 10 * 60_000;
/** A network failure is reused for less: it may mend, but a stalled server must not cost every file its timeout. */
const REMEMBER_FAILURE_MS = 60_000;
const MAX_REMEMBERED = 512;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The engine's checksum files: each URL asked for once (per set of headers) and its answer
 * shared by every download that wants it, even while it is still on its way. Every request
 * has the short sidecar timeout for a stall and four times that in all; a body is read up
 * to SIDECAR_MAX_BYTES and dropped beyond it.
 */
export class SidecarCache implements ChecksumFiles {
  searching = true;
  private readonly answers = new Map<string, { until: number; answer: Promise<ChecksumFileAnswer> }>();
  private readonly closed = new AbortController();

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly tuning: Pick<DownloadTuning, 'sidecarTimeoutMs'>,
  ) {}

  fetch(url: string, headersFor: HeadersFor, anyOrigin: boolean): Promise<ChecksumFileAnswer> {
    const key = cacheKey(url, headersFor(new URL(url)), anyOrigin);
    const now = this.clock.now();
    const known = this.answers.get(key);
    if (known && known.until > now) return known.answer;
    const entry = { until: now + REMEMBER_MS, answer: Promise.resolve<ChecksumFileAnswer>({ ok: false, definitive: false, why: 'not asked yet' }) };
    entry.answer = this.ask(url, headersFor, anyOrigin).then((answer) => {
      if (!answer.ok && !answer.definitive) entry.until = this.clock.now() + REMEMBER_FAILURE_MS;
      return answer;
    });
    this.answers.delete(key);
    this.answers.set(key, entry);
    if (this.answers.size > MAX_REMEMBERED) this.answers.delete(this.answers.keys().next().value!);
    return entry.answer;
  }

  async readLocal(file: string): Promise<ChecksumFileAnswer> {
    let handle: fs.promises.FileHandle | null = null;
    try {
      handle = await fs.promises.open(file, 'r');
      if (!(await handle.stat()).isFile()) return { ok: false, definitive: true, why: 'it is not a file' };
      const buffer = Buffer.alloc(SIDECAR_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > SIDECAR_MAX_BYTES) return tooLarge();
      return { ok: true, entries: parseSums(buffer.toString('utf8', 0, bytesRead)) };
    } catch (error) {
      return { ok: false, definitive: true, why: (error as NodeJS.ErrnoException).code ?? String(error) };
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  close(): void {
    this.closed.abort(new Error('the engine is closing'));
    this.answers.clear();
  }

  private async ask(start: string, headersFor: HeadersFor, anyOrigin: boolean): Promise<ChecksumFileAnswer> {
    const timeout = (): number => this.tuning.sidecarTimeoutMs;
    // Four timeouts in all once on the network (a wait for a host slot behind downloads does not count).
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | null = null;
    const onNetwork = (): void => {
      timer ??= setTimeout(() => deadline.abort(new Error('the checksum file took too long')), 4 * timeout()).unref();
    };
    const parent = AbortSignal.any([this.closed.signal, deadline.signal]);
    const watch = new StallWatch(this.clock, timeout, parent);
    let url = new URL(start);
    try {
      for (let hop = 0; ; hop++) {
        const headers = { 'user-agent': 'Ferry/0.1', ...headersFor(url), 'accept-encoding': 'identity' };
        const response = await watch.request(this.transport, { url, method: 'GET', headers }, parent, onNetwork);
        const location = response.headers.get('location');
        if (REDIRECTS.has(response.status) && location) {
          response.discard();
          const next = new URL(location, url);
          if (hop >= MAX_REDIRECTS || (next.protocol !== 'http:' && next.protocol !== 'https:')) return { ok: false, definitive: true, why: 'redirected too often or to another scheme' };
          if (!anyOrigin && next.origin !== url.origin) return { ok: false, definitive: true, why: `redirected to another origin (${next.host}), not followed` };
          url = next;
          continue;
        }
        if (response.status !== 200) {
          response.discard();
          return { ok: false, definitive: response.status < 500 && response.status !== 429 && response.status !== 408, why: `HTTP ${response.status}` };
        }
        const declared = parseContentLength(response.headers.get('content-length'));
        const encoding = (response.headers.get('content-encoding') ?? 'identity').toLowerCase();
        if ((declared !== null && declared > SIDECAR_MAX_BYTES) || (encoding !== 'identity' && !response.decoded)) {
          response.discard();
          return declared !== null && declared > SIDECAR_MAX_BYTES ? tooLarge() : { ok: false, definitive: true, why: `sent ${encoding}-encoded` };
        }
        return await readCapped(response.body, watch, () => response.discard());
      }
    } catch (error) {
      const failure = watch.failure(error, url.href, parent);
      return { ok: false, definitive: false, why: failure instanceof Error ? failure.message : String(failure) };
    } finally {
      watch.stop();
      if (timer) clearTimeout(timer);
    }
  }
}

/** A body read up to SIDECAR_MAX_BYTES; one byte more and it is dropped. */
async function readCapped(body: AsyncIterable<Uint8Array>, watch: StallWatch, discard: () => void): Promise<ChecksumFileAnswer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    watch.touch();
    size += chunk.length;
    if (size > SIDECAR_MAX_BYTES) {
      discard();
      return tooLarge();
    }
    parts.push(chunk);
  }
  return { ok: true, entries: parseSums(Buffer.concat(parts).toString('utf8')) };
}

function tooLarge(): ChecksumFileAnswer {
  return { ok: false, definitive: true, why: 'over 1 MiB, so not a checksum file' };
}

/** One answer per URL and set of headers (a credential may change what a server answers); values are hashed, never kept. */
function cacheKey(url: string, headers: Record<string, string>, anyOrigin: boolean): string {
  const sorted = Object.entries(headers).sort(([a], [b]) => a.localeCompare(b));
  return `${anyOrigin ? 'any' : 'same'} ${url} ${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}`;
}
