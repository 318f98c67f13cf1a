import type { RequestLimiter } from '../scheduler/request-limiter';
import { codeOf } from './network-errors';
import type { HttpRequest, HttpResponse, Transport } from './transport';

/**
 * A transport whose every request holds one of its host's slots from before it is sent
 * until its body is read to the end, fails or is discarded (DESIGN.md section 5). How each
 * host answers (a 429, a refused extra connection) is told to the limiter's `hosts`, which
 * lowers that host's limit (scheduler/host-politeness.ts).
 */
export class CountedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly limiter: RequestLimiter,
  ) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    req.queue?.waiting();
    const host = req.url.host;
    const release = await this.limiter.acquire(host, req.signal);
    req.queue?.granted();
    const hosts = this.limiter.hosts;
    const ticket = hosts?.sending() ?? 0;
    let response: HttpResponse;
    try {
      response = await this.inner.request(req);
    } catch (error) {
      if (hosts && !req.signal.aborted) hosts.failed(host, codeOf(error), ticket, this.limiter.count(host));
      release();
      throw error;
    }
    hosts?.answered(host, response.status, Boolean(response.headers.get('retry-after')), ticket, this.limiter.count(host));
    if (response.onBodyReleased) {
      response.onBodyReleased(release);
      return response;
    }
    return {
      ...response,
      body: releasingAtEnd(response.body, release),
      discard: () => {
        response.discard();
        release();
      },
    };
  }

  reset(): Promise<void> {
    return this.inner.reset();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

async function* releasingAtEnd(body: AsyncIterable<Uint8Array>, release: () => void): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } finally {
    release();
  }
}
