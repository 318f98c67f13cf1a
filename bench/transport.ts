/**
 * Which HTTP client the Node engine uses: Ferry's UndiciTransport (undici's dispatcher with
 * a body handler of Ferry's own, http/dispatch-body.ts) against undici.request (a Node
 * Readable per body), the global fetch and node:http (no HTTP/2), each reading the same
 * file from nginx on loopback, rounds interleaved. Prints throughput and CPU per GiB.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import { request } from 'undici';
import { UndiciTransport } from '../electron/engine/http/undici-transport';
import { startNginx } from '../test/support/nginx';
import { BENCH_DIR, ensureFile, formatBytes, median } from './support';

const SIZE = Number(process.env.BENCH_SIZE ?? 1 << 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function viaRequest(url: string): Promise<number> {
  const { body } = await request(url);
  let n = 0;
  for await (const chunk of body) n += (chunk as Buffer).length;
  return n;
}

const transport = new UndiciTransport();

async function viaTransport(url: string): Promise<number> {
  const response = await transport.request({ url: new URL(url), method: 'GET', headers: {}, signal: new AbortController().signal });
  let n = 0;
  for await (const chunk of response.body) n += chunk.length;
  return n;
}

const keepAlive = new http.Agent({ keepAlive: true });

/** node:http, whose parser is llhttp in C: the per-byte floor of an HTTP/1.1 client in Node. */
function viaNodeHttp(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: keepAlive }, (res) => {
        let n = 0;
        res.on('data', (chunk: Buffer) => (n += chunk.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function viaFetch(url: string): Promise<number> {
  const response = await fetch(url);
  let n = 0;
  for await (const chunk of response.body!) n += chunk.length;
  return n;
}

async function main(): Promise<void> {
  const file = ensureFile('transport.bin', SIZE);
  const nginx = await startNginx(BENCH_DIR);
  const url = nginx.url(path.basename(file));
  const clients: Array<[string, (u: string) => Promise<number>]> = [
    ['ferry transport', viaTransport],
    ['undici.request', viaRequest],
    ['fetch', viaFetch],
    ['node:http', viaNodeHttp],
  ];
  const results = new Map<string, { seconds: number[]; cpu: number[] }>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of clients) {
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const n = await run(url);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu = process.cpuUsage(cpu0);
        if (n !== SIZE) throw new Error(`${name} read ${n} bytes`);
        const r = results.get(name) ?? { seconds: [], cpu: [] };
        r.seconds.push(seconds);
        r.cpu.push((cpu.user + cpu.system) / 1e6);
        results.set(name, r);
      }
    }
  } finally {
    await transport.close();
    keepAlive.destroy();
    await nginx.stop();
  }
  console.log(`transport benchmark: ${formatBytes(SIZE)} from nginx on loopback, median of ${ROUNDS}`);
  const gib = SIZE / 2 ** 30;
  for (const [name, r] of results) {
    const s = median(r.seconds);
    console.log(`  ${name.padEnd(16)} ${(SIZE / s / 2 ** 20).toFixed(0).padStart(6)} MiB/s   CPU ${(median(r.cpu) / gib).toFixed(2)} s per GiB`);
  }
  const cpuOf = (name: string): number => median(results.get(name)!.cpu);
  console.log(`  CPU per GiB, ferry transport / undici.request: ${(cpuOf('ferry transport') / cpuOf('undici.request')).toFixed(2)}x; undici.request / fetch: ${(cpuOf('undici.request') / cpuOf('fetch')).toFixed(2)}x`);
}

void main();
