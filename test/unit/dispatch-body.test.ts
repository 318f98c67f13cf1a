/**
 * The response body the Node transport hands to readers (http/dispatch-body.ts): chunks
 * arrive from undici's handler, the reader pulls them. Its undici side here records what
 * the body asks of the connection: pause (push answers false), resume, abort.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DispatchBody } from '../../electron/engine/http/dispatch-body';

function connection(): { resumed: number; aborted: Error[]; body: DispatchBody } {
  const c = { resumed: 0, aborted: [] as Error[], body: null as unknown as DispatchBody };
  c.body = new DispatchBody({ resume: () => void c.resumed++, abort: (reason) => void c.aborted.push(reason) });
  return c;
}

const chunk = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

async function readAll(body: DispatchBody): Promise<number[]> {
  const sizes: number[] = [];
  for await (const c of body) sizes.push(c.length);
  return sizes;
}

describe('DispatchBody', () => {
  test('hands chunks on in order, the very ones the socket read, and ends', async () => {
    const c = connection();
    const a = chunk(10, 1);
    const b = chunk(20, 2);
    c.body.push(a);
    const reading = (async () => {
      const got: Uint8Array[] = [];
      for await (const x of c.body) got.push(x);
      return got;
    })();
    await new Promise((r) => setImmediate(r));
    c.body.push(b);
    c.body.end();
    const got = await reading;
    assert.equal(got.length, 2);
    assert.equal(got[0], a, 'no copy');
    assert.equal(got[1], b);
    assert.equal(c.aborted.length, 0);
  });

  test('a reader that falls behind pauses the socket at 256 KiB queued, and resumes it once it has caught up', async () => {
    const c = connection();
    let answers = 0;
    while (c.body.push(chunk(64 << 10)) && answers < 100) answers++;
    assert.equal(answers, 3, 'the fourth 64 KiB read reaches 256 KiB and asks for a pause');
    assert.equal(c.resumed, 0);
    await c.body.next();
    assert.equal(c.resumed, 0, 'still 192 KiB queued');
    await c.body.next();
    await c.body.next();
    assert.equal(c.resumed, 1, 'below half the mark: reading goes on');
    c.body.end();
    assert.deepEqual(await readAll(c.body), [64 << 10]);
  });

  test('a failure reaches the reader, queued chunks are dropped, and nothing is aborted twice', async () => {
    const c = connection();
    c.body.push(chunk(5));
    const broken = new Error('socket hang up');
    c.body.fail(broken);
    await assert.rejects(c.body.next(), broken);
    c.body.fail(new Error('later'));
    c.body.end();
    await assert.rejects(c.body.next(), broken);
    assert.equal(c.aborted.length, 0, 'the connection failed by itself');
  });

  test('a failure wakes a reader that waits', async () => {
    const c = connection();
    const waiting = c.body.next();
    c.body.fail(new Error('reset'));
    await assert.rejects(waiting, /reset/);
  });

  test('a reader that stops early (break) aborts the request: an unread body never holds its connection', async () => {
    const c = connection();
    c.body.push(chunk(1));
    c.body.push(chunk(2));
    for await (const x of c.body) {
      assert.equal(x.length, 1);
      break;
    }
    assert.equal(c.aborted.length, 1);
    assert.equal(c.body.settled, true);
  });

  test('a reader that read to the end aborts nothing', async () => {
    const c = connection();
    c.body.push(chunk(3));
    c.body.end();
    assert.deepEqual(await readAll(c.body), [3]);
    await c.body.return();
    assert.equal(c.aborted.length, 0);
  });

  test('discard with a limit reads the rest to its end and drops it, releasing the reader at once', async () => {
    const c = connection();
    let released = 0;
    c.body.onReleased(() => released++);
    for (let i = 0; i < 4; i++) c.body.push(chunk(64 << 10));
    c.body.discard(64 << 10, 10_000);
    assert.equal(released, 1, 'the reader is done now; the connection finishes in the background');
    assert.equal(c.resumed, 1, 'a paused socket is resumed to read the rest');
    assert.equal(c.body.push(chunk(1000)), true);
    c.body.end();
    assert.equal(c.aborted.length, 0, 'the connection can carry the next request');
    assert.equal(released, 1);
  });

  test('a discarded rest larger than the limit aborts, and so does one that never ends', async () => {
    const big = connection();
    big.body.discard(100, 10_000);
    big.body.push(chunk(101));
    assert.equal(big.aborted.length, 1);

    const silent = connection();
    silent.body.discard(100, 20);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(silent.aborted.length, 1);
    assert.match(silent.aborted[0]!.message, /did not end/);
  });

  test('discard without a limit aborts at once', () => {
    const c = connection();
    let released = 0;
    c.body.onReleased(() => released++);
    c.body.discard(-1, 10_000);
    assert.equal(c.aborted.length, 1);
    assert.equal(released, 1);
    c.body.onReleased(() => released++);
    assert.equal(released, 2, 'a hook added after release runs at once');
  });

  test('two readers at once is a mistake the second one is told of', async () => {
    const c = connection();
    const first = c.body.next();
    await assert.rejects(c.body.next(), /one reader at a time/);
    c.body.end();
    assert.deepEqual(await first, { done: true, value: undefined });
  });
});
