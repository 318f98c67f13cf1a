import type { RequestLimiter } from '../scheduler/request-limiter';
import type { HttpRequest, HttpResponse, Transport } from './transport';

/**
 * A transport whose every request holds one of its host's slots from before it is sent
 * until its body is read to the end, fails or is discarded (DESIGN.md section 5).
 */
export class CountedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly limiter: RequestLimiter,
  ) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    req.queue?.waiting();
    const release = await this.limiter.acquire(req.url.host, req.signal);
    req.queue?.granted();
    let response: HttpResponse;
    try {
      response = await this.inner.request(req);
    } catch (error) {
      release();
      throw error;
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
