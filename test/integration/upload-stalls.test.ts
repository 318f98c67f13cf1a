import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliRun, runCli } from '../support/cli';
import { randomBytesOf } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

/**
 * No timeout before the response exists (issue 12, root cause 2, uploads): every phase of
 * every request runs under the stall timeout. Each server here misbehaves at one phase;
 * `ferry put --stall-timeout 2` must end by itself, within a bounded time, with a `stalled`
 * failure naming the phase, after the attempt loop's retries (five attempts, backoff from
 * 500 ms: at most about 10 s of stalls and 7.5 s of waiting).
 */

/** A raw TCP server that does `onConnection` with each socket; stop() ends every socket. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<{ url: string; connections: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/files`,
    connections: () => count,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sourceFile(size: number, seed: number): string {
  const file = path.join(tempDir('stall-src-'), `up-${seed}.bin`);
  fs.writeFileSync(file, randomBytesOf(size, seed));
  return file;
}

/** Runs `ferry put` to its end and returns it with how long it took. */
async function timedPut(args: string[]): Promise<{ run: CliRun; seconds: number }> {
  const started = Date.now();
  const run = await runCli(['put', ...args, '--stall-timeout', '2', '--data-dir', tempDir(), '--json']);
  return { run, seconds: (Date.now() - started) / 1000 };
}

/** The run failed by itself, in bounded time, with a stall in `phase`, and no promise of a retry. */
function assertStalled({ run, seconds }: { run: CliRun; seconds: number }, phase: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  const result = run.events.find((e) => e.type === 'result') as { state: string; error: { code: string; message: string } } | undefined;
  assert.equal(result?.state, 'failed', run.stdout);
  assert.equal(result.error.code, 'stalled', result.error.message);
  assert.match(result.error.message, /No progress for 2 s/);
  assert.match(result.error.message, phase);
  assert.match(result.error.message, /tried 5 times/);
  assert.doesNotMatch(result.error.message, /will resume|will try again|resuming the upload/i);
  // Five stalls of 2 s and four backoff waits (at most 0.5 + 1 + 2 + 4 s), with room for a slow machine.
  assert.ok(seconds < 60, `ended after ${seconds} s`);
  const retries = run.events.filter((e) => e.type === 'retrying');
  assert.equal(retries.length, 4, 'four retries were announced before the final failure');
}

describe('ferry put against servers that stall before, during or after the request', () => {
  let tus: TusTestServer;
  before(async () => {
    tus = await startTusServer('tus-server');
  });
  after(async () => {
    await tus.stop();
  });

  test('tus OPTIONS accepted and never answered: stalled while waiting for the answer', async () => {
    const server = await rawServer((socket) => socket.resume());
    try {
      const outcome = await timedPut([sourceFile(100_000, 50), '--to', server.url]);
      assertStalled(outcome, /while connecting or waiting for the server to answer/);
      // undici may open a spare connection after an abort; what matters is that they stay few.
      assert.ok(server.connections() >= 5 && server.connections() <= 10, `${server.connections()} connections for five attempts`);
    } finally {
      await server.stop();
    }
  });

  test('tus OPTIONS answered with a header line dripped a byte a second: stalled, never waiting forever', async () => {
    const server = await rawServer((socket) => {
      let timer: NodeJS.Timeout | null = null;
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nTus-Resumable: 1.0.0\r\nX-Drip: ');
        timer = setInterval(() => socket.write('a'), 1000);
      });
      socket.on('close', () => timer && clearInterval(timer));
    });
    try {
      const outcome = await timedPut([sourceFile(100_000, 51), '--to', server.url]);
      assertStalled(outcome, /while connecting or waiting for the server to answer/);
    } finally {
      await server.stop();
    }
  });

  test('a PATCH whose answer never comes: stalled while waiting for the answer', async () => {
    tus.log.length = 0;
    tus.inject((method) => (method === 'PATCH' ? { stall: true } : null));
    try {
      const outcome = await timedPut([sourceFile(3 << 20, 52), '--to', tus.endpoint]);
      assertStalled(outcome, /while connecting or waiting for the server to answer/);
      assert.equal(tus.log.filter((r) => r.method === 'PATCH').length, 5);
      assert.equal(tus.log.filter((r) => r.method === 'POST').length, 1, 'one upload, resumed after each stall');
    } finally {
      tus.inject(() => null);
    }
  });

  test('a PUT server that stops reading the request body: stalled while sending', async () => {
    // Never reads: once the socket buffers on both sides are full, nothing moves.
    const server = await rawServer((socket) => socket.pause());
    try {
      const outcome = await timedPut([sourceFile(64 << 20, 53), '--to', `${server.url}/big.bin`, '--protocol', 'put']);
      assertStalled(outcome, /while sending data \(the server took none\)/);
    } finally {
      await server.stop();
    }
  });
});
