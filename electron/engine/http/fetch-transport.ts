import { headersFromRecord } from './headers';
import type { HttpRequest, HttpResponse, Transport } from './transport';

/** The WHATWG fetch the transport is given: Electron's net.fetch in the app, Node's in tests. */
export type FetchFunction = (input: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

/**
 * A transport over a fetch function. In the desktop app that is Electron's `net.fetch`,
 * which goes through Chromium's network stack: the system proxy (PAC, WPAD, authenticating
 * proxies) and the OS certificate store, as a person expects from a desktop app.
 *
 * fetch cannot be told to leave a Content-Encoding alone; such a response is marked
 * `decoded` and the engine treats it as never resumable. Redirects are asked to come back
 * unfollowed ('manual'), so the engine records the chain itself.
 */
export class FetchTransport implements Transport {
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly fetchFn: FetchFunction) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    // One controller per request: reset() aborts everything in flight at once.
    const controller = new AbortController();
    const abort = (): void => controller.abort(req.signal.reason);
    if (req.signal.aborted) abort();
    req.signal.addEventListener('abort', abort, { once: true });
    this.controllers.add(controller);
    const release = (): void => {
      req.signal.removeEventListener('abort', abort);
      this.controllers.delete(controller);
    };
    let response: Response;
    try {
      response = await this.fetchFn(req.url.href, {
        method: req.method,
        headers: req.headers,
        body: bodyOf(req.body),
        duplex: req.body && !(req.body instanceof Uint8Array) ? 'half' : undefined,
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (error) {
      release();
      throw error;
    }
    if (response.type === 'opaqueredirect') {
      release();
      throw new Error('the network layer hid a redirect (opaque redirect); Ferry cannot follow it to record the chain');
    }
    const record: Record<string, string> = {};
    response.headers.forEach((value, key) => (record[key] = value));
    const encoding = (record['content-encoding'] ?? 'identity').toLowerCase();
    const stream = response.body;
    return {
      status: response.status,
      headers: headersFromRecord(record),
      body: stream ? iterate(stream, release) : empty(release),
      discard: () => {
        controller.abort();
        release();
      },
      decoded: encoding !== 'identity',
    };
  }

  async reset(): Promise<void> {
    for (const controller of this.controllers) controller.abort(new Error('connections reset'));
    this.controllers.clear();
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

function bodyOf(body: HttpRequest['body']): RequestInit['body'] {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

async function* iterate(stream: ReadableStream<Uint8Array>, release: () => void): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    release();
    // A reader that stopped early (a stall, a pause) lets the connection go.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** No body at all (a 204, an answer to HEAD): releases the request when read. */
function empty(release: () => void): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        release();
        return { done: true, value: undefined };
      },
    }),
  };
}
