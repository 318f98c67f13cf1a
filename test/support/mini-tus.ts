import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomBytesOf } from './fault-server';
import { tempDir } from './harness';

/**
 * A small tus 1.0 server (creation and termination, no creation-with-upload) that logs every
 * request with the credentials it carried, and whose answer to each PATCH a test decides:
 * answer, store everything and lose the answer, or keep some bytes and cut the connection.
 * Two of them can share their uploads, one handing out upload URLs on the other's origin.
 */
export interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  cookie: string | undefined;
}

export type PatchPlan = (nth: number, offset: number, body: Buffer) => 'answer' | 'drop' | { keep: number; then?: () => void };

export class MiniTus {
  readonly seen: Seen[] = [];
  readonly uploads = new Map<string, { length: number; data: Buffer }>();
  private server = http.createServer((req, res) => this.handle(req, res));
  port = 0;
  /** Where POST's Location points (another server's origin when set). */
  locationBase: string | null = null;
  private plan: PatchPlan = () => 'answer';
  private patches = 0;
  set patchPlan(plan: PatchPlan) {
    this.plan = plan;
    this.patches = 0;
  }
  /** Another MiniTus sharing this one's uploads map (the storage origin). */
  shareFrom(other: MiniTus): void {
    (this as { uploads: MiniTus['uploads'] }).uploads = other.uploads;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, cookie: req.headers.cookie });
    const parts: Buffer[] = [];
    const common = { 'tus-resumable': '1.0.0' };
    const id = (req.url ?? '').split('/').pop()!;
    if (req.method === 'PATCH') {
      const upload = this.uploads.get(id);
      const offset = Number(req.headers['upload-offset']);
      if (!upload) {
        req.resume();
        res.writeHead(404, common).end();
        return;
      }
      const nth = this.patches++;
      req.on('data', (chunk: Buffer) => {
        parts.push(chunk);
      });
      req.on('end', () => {
        const body = Buffer.concat(parts);
        const plan = this.plan(nth, offset, body);
        if (plan === 'answer') {
          upload.data = Buffer.concat([upload.data.subarray(0, offset), body]);
          res.writeHead(204, { ...common, 'upload-offset': String(upload.data.length) }).end();
        } else if (plan === 'drop') {
          // The server stored every byte, but its answer is lost on the way.
          upload.data = Buffer.concat([upload.data.subarray(0, offset), body]);
          req.socket.destroy();
        } else {
          upload.data = Buffer.concat([upload.data.subarray(0, offset), body.subarray(0, plan.keep)]);
          plan.then?.();
          req.socket.destroy();
        }
      });
      return;
    }
    req.resume();
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...common, 'tus-version': '1.0.0', 'tus-extension': 'creation,termination' }).end();
      } else if (req.method === 'POST') {
        const newId = `u${this.uploads.size + 1}-${Date.now()}`;
        this.uploads.set(newId, { length: Number(req.headers['upload-length']), data: Buffer.alloc(0) });
        res.writeHead(201, { ...common, location: `${this.locationBase ?? this.base}/files/${newId}` }).end();
      } else if (req.method === 'HEAD') {
        const upload = this.uploads.get(id);
        if (!upload) res.writeHead(404, common).end();
        else res.writeHead(200, { ...common, 'upload-offset': String(upload.data.length), 'upload-length': String(upload.length), 'cache-control': 'no-store' }).end();
      } else if (req.method === 'DELETE') {
        this.uploads.delete(id);
        res.writeHead(204, common).end();
      } else {
        res.writeHead(405, common).end();
      }
    });
  }
}

/** A source file of `size` random bytes. */
export function sourceFile(size: number, seed: number): { file: string; body: Buffer } {
  const body = randomBytesOf(size, seed);
  const file = path.join(tempDir('mini-tus-src-'), `up-${seed}.bin`);
  fs.writeFileSync(file, body);
  return { file, body };
}
