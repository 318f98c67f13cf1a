import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TransferError } from '../../electron/common/errors';
import { describeNetworkError } from '../../electron/engine/http/network-errors';
import { UndiciTransport } from '../../electron/engine/http/undici-transport';

/**
 * describeNetworkError with the errors real servers cause through the real transport: each
 * raw server below answers one wrong way, and the sentence must say what happened (never
 * that Ferry will retry: a final failure uses the same words) and whether retrying helps.
 */

/** A raw TCP server that answers every request with `answer(socket)`. */
async function rawServer(answer: (socket: net.Socket) => void): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the transport throws for a GET to `url`, as a person is told it. */
async function failureOf(url: string): Promise<TransferError> {
  const transport = new UndiciTransport();
  try {
    const response = await transport.request({ url: new URL(url), method: 'GET', headers: {}, signal: AbortSignal.timeout(10_000) });
    response.discard();
    throw new Error(`expected a failure, got HTTP ${response.status}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('expected a failure')) throw error;
    return describeNetworkError(error, url);
  } finally {
    await transport.close();
  }
}

const PROMISES_A_RETRY = /will resume|will try again|resuming/i;
/** In every URL below: none of it may reach a message. */
const SECRET = 'tok3n-s3cret';

describe('describeNetworkError, with real errors from raw servers through UndiciTransport', () => {
  const servers: Array<{ stop: () => Promise<void> }> = [];
  let overflowing: number;
  let notHttp: number;
  let hangingUp: number;
  before(async () => {
    // 100 KiB of header lines after a valid status line.
    const big = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 2_000; i++) s.write(`X-Filler-${i}: ${'a'.repeat(40)}\r\n`);
      s.end('\r\n');
    });
    // An HTTP/0.9 answer (or any other protocol on the port): bytes with no status line.
    const bare = await rawServer((s) => s.end('hello\r\n'));
    // Reads the request, then closes without a byte.
    const hangup = await rawServer((s) => s.destroy());
    servers.push(big, bare, hangup);
    overflowing = big.port;
    notHttp = bare.port;
    hangingUp = hangup.port;
  });
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('an oversized header block (UND_ERR_HEADERS_OVERFLOW) is named, and not retried', async () => {
    const failure = await failureOf(`http://127.0.0.1:${overflowing}/f?key=${SECRET}`);
    assert.equal(failure.code, 'server-broken');
    assert.equal(failure.retryable, false);
    assert.match(failure.message, /127\.0\.0\.1:\d+ sent more response headers than Ferry reads/);
    assert.match(failure.message, /UND_ERR_HEADERS_OVERFLOW/);
    assert.doesNotMatch(failure.message, PROMISES_A_RETRY);
    assert.ok(!failure.message.includes(SECRET));
  });

  test('an answer with no HTTP status line (HTTP/0.9, another protocol) is named, and not retried', async () => {
    const failure = await failureOf(`http://user:${SECRET}@127.0.0.1:${notHttp}/f`);
    assert.equal(failure.code, 'server-broken');
    assert.equal(failure.retryable, false);
    assert.match(failure.message, /127\.0\.0\.1:\d+ answered with something that is not HTTP\/1\.1/);
    assert.match(failure.message, /HTTP\/0\.9/);
    assert.match(failure.message, /check the URL's scheme and port/);
    assert.doesNotMatch(failure.message, PROMISES_A_RETRY);
    assert.ok(!failure.message.includes(SECRET));
  });

  test('a connection closed before any answer: says it broke, retryable, no promise in the words', async () => {
    const failure = await failureOf(`http://127.0.0.1:${hangingUp}/f`);
    assert.equal(failure.code, 'connection-reset');
    assert.equal(failure.retryable, true);
    assert.match(failure.message, /The connection to 127\.0\.0\.1:\d+ broke/);
    assert.doesNotMatch(failure.message, PROMISES_A_RETRY);
  });

  test('a refused connection: the server is down or the port is wrong', async () => {
    const closed = await rawServer(() => undefined);
    const port = closed.port;
    await closed.stop();
    const failure = await failureOf(`http://127.0.0.1:${port}/f`);
    assert.equal(failure.code, 'connection-refused');
    assert.doesNotMatch(failure.message, PROMISES_A_RETRY);
  });
});
