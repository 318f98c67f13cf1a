import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomBytesOf } from './fault-server';
import { tempDir } from './harness';

/**
 * A server that counts the requests it is answering at once, to prove Ferry's own limits
 * hold whatever the protocol: HTTP/1.1 with keep-alive, or HTTP/2 where every request
 * shares one connection. `/file/<n>` answers `bodyOf(n)` slowly (in two halves, `delayMs`
 * apart) so that requests overlap when the client lets them.
 */
export class CountingServer {
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  readonly httpVersions = new Set<string>();
  private server: http.Server | http2.Http2SecureServer | null = null;
  port = 0;

  constructor(
    readonly size: number,
    private readonly delayMs: number,
  ) {}

  bodyOf(n: number): Buffer {
    return randomBytesOf(this.size, 1000 + n);
  }

  async startHttp1(): Promise<this> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return this.listen();
  }

  /** HTTP/2 over TLS with a self-signed certificate made here; returns its PEM for the client. */
  async startHttp2(): Promise<{ server: CountingServer; ca: Buffer }> {
    const { key, cert } = selfSignedCertificate();
    this.server = http2.createSecureServer({ key, cert }, (req, res) => this.handle(req, res));
    await this.listen();
    return { server: this, ca: cert };
  }

  url(n: number): string {
    const scheme = this.server instanceof http.Server ? 'http' : 'https';
    return `${scheme}://127.0.0.1:${this.port}/file/${n}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    if (server instanceof http.Server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  private handle(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
    this.requests++;
    this.httpVersions.add(req.httpVersion);
    const m = /^\/file\/(\d+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      this.inFlight--;
    };
    res.on('close', done);
    res.on('finish', done);
    const body = this.bodyOf(Number(m[1]));
    res.writeHead(200, { 'content-length': String(body.length), etag: `"${m[1]}"`, 'content-type': 'application/octet-stream' });
    const half = body.length >> 1;
    (res as http.ServerResponse).write(body.subarray(0, half));
    setTimeout(() => (res as http.ServerResponse).end(body.subarray(half)), this.delayMs);
  }
}

export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = tempDir('cert-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}
