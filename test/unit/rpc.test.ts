/**
 * The RPC's own rules, over a real MessagePort pair (structured clone, as Electron's IPC):
 * hellos both ways, one clear error and a closed channel for a peer of another major
 * version (or one from before hellos), and cancellation of a call in flight.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { type Result, ok } from '../../electron/common/result';
import { PROTOCOL_VERSION, compatible, createClient, mismatchMessage, serveService } from '../../electron/common/rpc';
import type { ServiceError, ServiceEvent, ServiceImplementation } from '../../electron/common/service';
import { portChannel } from '../support/service';

/**
 * A service whose `details` waits until its caller cancels (like a call awaiting the engine)
 * and whose `getSettings` answers at once; it records what it saw.
 */
function waitingService(): ServiceImplementation & { calls: string[]; aborted: string[] } {
  const calls: string[] = [];
  const aborted: string[] = [];
  return {
    calls,
    aborted,
    async call(name, _argument, signal) {
      calls.push(name);
      if (name === 'details') {
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
        aborted.push(name);
      }
      return ok(null) as Result<never, ServiceError>;
    },
    onEvent: (_listener: (event: ServiceEvent) => void) => () => undefined,
  };
}

/** One end of a port pair as a raw peer: what it received, and whether the other side closed it. */
function rawPeer(port: MessagePort): { received: Array<Record<string, unknown>>; closed: Promise<void>; send(message: unknown): void } {
  const received: Array<Record<string, unknown>> = [];
  port.on('message', (message: Record<string, unknown>) => received.push(message));
  const closed = new Promise<void>((resolve) => port.once('close', () => resolve()));
  return { received, closed, send: (message) => port.postMessage(message) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('hellos both ways: the server answers a hello with its own; a client and a server of the same major version talk', async () => {
  const { port1, port2 } = new MessageChannel();
  const service = waitingService();
  const raw = rawPeer(port2);
  serveService(service, portChannel(port1), () => undefined, '1.2.3');
  raw.send({ t: 'hello', protocol: '1.9', app: null });
  await until(() => raw.received.length > 0, 'the server hello');
  assert.deepEqual(raw.received[0], { t: 'hello', protocol: PROTOCOL_VERSION, app: '1.2.3' });
  port2.close();

  const pair = new MessageChannel();
  serveService(service, portChannel(pair.port1), () => undefined, '1.2.3');
  const client = createClient(portChannel(pair.port2), { app: '1.2.3' });
  assert.deepEqual(await client.getSettings(), ok(null));
  client.dispose();
  pair.port2.close();
  assert.ok(compatible('1.0', '1.7') && !compatible('1.0', '2.0'));
});

test('a window of another major version gets one clear error, the channel closes, and the service sees no call', async () => {
  const { port1, port2 } = new MessageChannel();
  const service = waitingService();
  const logged: string[] = [];
  serveService(service, portChannel(port1), (m) => logged.push(m), '1.2.3');
  const raw = rawPeer(port2);
  raw.send({ t: 'hello', protocol: '2.0', app: '9.0.0' });
  raw.send({ t: 'call', id: 1, method: 'getSettings', arg: null });
  await raw.closed;
  assert.equal(raw.received[0]!.t, 'hello', 'the engine still says who it is');
  const faults = raw.received.filter((m) => m.t === 'fault');
  assert.equal(faults.length, 1);
  assert.deepEqual(faults[0]!.error, {
    code: 'version-mismatch',
    message: `This window is from Ferry 9.0.0 (protocol 2.0), the engine is Ferry 1.2.3 (protocol ${PROTOCOL_VERSION}): reload the window.`,
  });
  assert.ok(!raw.received.some((m) => m.t === 'reply'), 'nothing is answered after the refusal');
  assert.deepEqual(service.calls, []);
  assert.match(logged.join('\n'), /refused a window: This window is from Ferry 9\.0\.0/);
});

test('a window from before hellos hears why in the reply to its first call; then the channel closes', async () => {
  const { port1, port2 } = new MessageChannel();
  const service = waitingService();
  serveService(service, portChannel(port1), () => undefined, '1.2.3');
  const raw = rawPeer(port2);
  raw.send({ t: 'call', id: 7, method: 'getSettings', arg: null });
  await raw.closed;
  const reply = raw.received.find((m) => m.t === 'reply');
  assert.deepEqual(reply, {
    t: 'reply',
    id: 7,
    result: { ok: false, error: { code: 'version-mismatch', message: `This window is from an older Ferry (protocol 0), the engine is Ferry 1.2.3 (protocol ${PROTOCOL_VERSION}): reload the window.` } },
  });
  assert.deepEqual(service.calls, []);
});

test('a client facing an engine of another major version (or one from before hellos) refuses it: one sentence, every call, a closed channel', async () => {
  for (const first of [{ t: 'hello', protocol: '3.1', app: '3.1.0' }, { t: 'fault', error: { code: 'invalid-argument', message: 'a message must be a call' } }]) {
    const { port1, port2 } = new MessageChannel();
    const engine = rawPeer(port1);
    const refusals: string[] = [];
    const client = createClient(portChannel(port2), { app: '1.2.3', onRefused: (m) => refusals.push(m) });
    const waiting = client.getSettings();
    await until(() => engine.received.length >= 2, 'the client hello and call');
    assert.deepEqual(engine.received[0], { t: 'hello', protocol: PROTOCOL_VERSION, app: '1.2.3' });
    engine.send(first);
    const answer = await waiting;
    const expected = first.t === 'hello' ? mismatchMessage({ t: 'hello', protocol: PROTOCOL_VERSION, app: '1.2.3' }, { t: 'hello', protocol: '3.1', app: '3.1.0' }) : /an older|protocol 0/;
    assert.ok(!answer.ok);
    assert.equal(answer.error.code, 'version-mismatch');
    if (typeof expected === 'string') assert.equal(answer.error.message, expected);
    else assert.match(answer.error.message, /engine is protocol 0/);
    assert.deepEqual(refusals, [answer.error.message]);
    const later = await client.snapshot();
    assert.ok(!later.ok && later.error.code === 'version-mismatch');
    await engine.closed;
  }
});

test('a canceled call answers canceled at once; the server aborts its signal and goes on serving', async () => {
  const { port1, port2 } = new MessageChannel();
  const service = waitingService();
  serveService(service, portChannel(port1), () => undefined, '1.2.3');
  const client = createClient(portChannel(port2), { app: '1.2.3' });
  const controller = new AbortController();
  const waiting = client.details({ id: 'x' }, { signal: controller.signal });
  await until(() => service.calls.includes('details'), 'the call to reach the service');
  controller.abort();
  const answer = await waiting;
  assert.ok(!answer.ok);
  assert.equal(answer.error.code, 'canceled');
  await until(() => service.aborted.includes('details'), 'the service to see its signal abort');
  assert.deepEqual(await client.getSettings(), ok(null), 'the channel still serves');

  // Already canceled: nothing is sent.
  const before = service.calls.length;
  const gone = await client.details({ id: 'y' }, { signal: AbortSignal.abort() });
  assert.ok(!gone.ok && gone.error.code === 'canceled');
  await client.getSettings();
  assert.equal(service.calls.length, before + 1, 'only the getSettings reached the service');
  client.dispose();
  port2.close();
});

test('a client that goes away aborts its calls still running on the server', async () => {
  const { port1, port2 } = new MessageChannel();
  const service = waitingService();
  serveService(service, portChannel(port1), () => undefined, '1.2.3');
  const client = createClient(portChannel(port2));
  void client.details({ id: 'x' });
  await until(() => service.calls.includes('details'), 'the call to reach the service');
  port2.close();
  await until(() => service.aborted.includes('details'), 'the abandoned call to be aborted');
});
