import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { headersForOrigin } from '../http/headers';
import type { HttpRequest, HttpResponse } from '../http/transport';
import { StallWatch } from '../transfer/stall-watch';
import { TUS_VERSION } from './tus';

/** Bytes handed to the connection at a time: the unit of bandwidth limiting and stall detection. */
const UPLOAD_SLICE = 64 << 10;
/** Answers to upload requests carry a few bytes at most; more than this is not read. */
const ANSWER_LIMIT = 64 << 10;

export type UploadRequest = Omit<HttpRequest, 'signal' | 'body'> & { body?: Uint8Array | ((watch: StallWatch) => AsyncIterable<Uint8Array>) };

/**
 * How one upload speaks HTTP. Every request carries Tus-Resumable for tus, and the person's
 * headers when it goes to the origin they were given for; each runs under a stall watch
 * from before it connects until its answer is read, and has its network errors classified.
 * Answers to upload requests are a few bytes: they are read here, so a server that holds
 * an answer's body open stalls too.
 */
export class UploadHttp {
  /** Bytes of the body in flight handed to the connection so far (for progress). */
  inFlight = 0;

  constructor(
    private readonly ctx: EngineContext,
    /** The record as the task holds it now: its headers are opened at the start of each run. */
    private readonly record: () => TransferRecord,
  ) {}

  async request(req: UploadRequest, signal: AbortSignal): Promise<HttpResponse> {
    const rec = this.record();
    // The person's headers belong to the origin they gave (the endpoint, or the PUT target):
    // an upload URL a tus server hands out on another origin gets none of them (found in review).
    const headers = headersForOrigin(rec.headers, req.url, rec.url);
    Object.assign(headers, req.headers, { 'user-agent': headers['user-agent'] ?? 'Ferry/0.1' });
    if (rec.protocol !== 'put') headers['tus-resumable'] = TUS_VERSION;
    const watch = new StallWatch(this.ctx.clock, () => this.ctx.tuning.stallTimeoutMs, signal);
    const body = typeof req.body === 'function' ? req.body(watch) : req.body;
    try {
      const response = await watch.request(this.ctx.transport, { ...req, headers, body }, signal);
      return await readSmallAnswer(response, watch, req.url.href, signal);
    } finally {
      watch.stop();
    }
  }

  /**
   * One request whose body is handed to the connection in slices as it takes them, so the
   * bandwidth limit applies and a stall is seen: no slice taken, or no answer after the
   * last one, for the stall timeout aborts the request (and the upload resumes).
   */
  async sendBody(
    method: 'PATCH' | 'PUT' | 'POST',
    url: string,
    headers: Record<string, string>,
    parts: AsyncIterable<Buffer> | Buffer[],
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    // One small piece and no bandwidth limit (a small file): handed over whole, one write;
    // the watchdog then waits for the answer alone.
    const whole = Array.isArray(parts) && parts.length === 1 && parts[0]!.length <= UPLOAD_SLICE && this.ctx.bandwidth.limit === null;
    try {
      return await this.request({ method, url: new URL(url), headers, body: whole ? parts[0]! : (watch) => this.slices(parts, watch, signal) }, signal);
    } finally {
      this.inFlight = 0;
    }
  }

  private async *slices(parts: AsyncIterable<Buffer> | Buffer[], watch: StallWatch, signal: AbortSignal): AsyncIterable<Uint8Array> {
    let sent = 0;
    for await (const part of parts) {
      for (let at = 0; at < part.length; at += UPLOAD_SLICE) {
        const slice = part.subarray(at, at + UPLOAD_SLICE);
        const throttled = this.ctx.bandwidth.take(slice.length, signal);
        if (throttled) {
          watch.hold(); // waiting for the bandwidth limit is slow, not stalled
          await throttled;
        }
        watch.touch('sending');
        sent += slice.length;
        this.inFlight = sent;
        yield slice;
      }
    }
    watch.touch('waiting'); // from here the answer is due within the stall timeout
  }
}

/**
 * Reads an upload request's answer under the request's watch, so a server that sends
 * headers and then holds the body open is a stall like any other; returns the response
 * with its body consumed (discard() is then a no-op).
 */
async function readSmallAnswer(response: HttpResponse, watch: StallWatch, url: string, signal: AbortSignal): Promise<HttpResponse> {
  let read = 0;
  try {
    for await (const chunk of response.body) {
      watch.touch();
      read += chunk.length;
      if (read > ANSWER_LIMIT) break;
    }
  } catch (error) {
    throw watch.failure(error, url, signal);
  } finally {
    response.discard();
  }
  return { ...response, body: emptyBody(), discard: () => undefined };
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
