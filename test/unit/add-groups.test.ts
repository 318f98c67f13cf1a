/**
 * inGroups (engine/add-inputs.ts): the groups an add is written in, what a caller's stop
 * (a CLI's Ctrl-C) and the engine's closing each do to it, and unlessAborted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADD_GROUP, inGroups, unlessAborted } from '../../electron/engine/add-inputs';
import { EngineClosedError } from '../../electron/engine/scheduler/failures';

const inputs = Array.from({ length: ADD_GROUP * 2 + 7 }, (_, i) => i);
const double = async (group: number[]): Promise<number[]> => group.map((n) => n * 2);

describe('an add in groups', () => {
  test('every input, in order, in groups of ADD_GROUP, each heard once written', async () => {
    const heard: number[] = [];
    const answers = await inGroups(inputs, double, { onGroup: (g) => heard.push(g.length) });
    assert.deepEqual(answers, inputs.map((n) => n * 2));
    assert.deepEqual(heard, [ADD_GROUP, ADD_GROUP, 7]);
  });

  test("the caller's stop ends it after the group being written, with the answers so far", async () => {
    const stop = new AbortController();
    const answers = await inGroups(inputs, double, { signal: stop.signal, onGroup: () => stop.abort() });
    assert.deepEqual(answers, inputs.slice(0, ADD_GROUP).map((n) => n * 2));
    assert.deepEqual(await inGroups(inputs, double, { signal: stop.signal }), [], 'stopped before it began: nothing is added');
  });

  test('the engine closing mid-add fails it, saying how much was added', async () => {
    let groups = 0;
    await assert.rejects(
      inGroups(inputs, double, { onGroup: () => groups++, stop: () => groups > 0 }),
      (error: Error) => error instanceof EngineClosedError && error.message.includes(`${ADD_GROUP} of ${inputs.length} transfers were added`),
    );
    assert.equal(groups, 1);
  });
});

describe('unlessAborted', () => {
  test("the work's answer, or null as soon as the signal aborts, the work unheard", async () => {
    assert.equal(await unlessAborted(Promise.resolve(4), new AbortController().signal), 4);
    assert.equal(await unlessAborted(Promise.resolve(4), undefined), 4);
    const stop = new AbortController();
    let finish!: (n: number) => void;
    const pending = unlessAborted(new Promise<number>((resolve) => (finish = resolve)), stop.signal);
    stop.abort();
    assert.equal(await pending, null);
    finish(5);
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(await unlessAborted(new Promise<number>(() => undefined), aborted.signal), null, 'already aborted: at once');
    await assert.rejects(unlessAborted(Promise.reject(new Error('disk')), new AbortController().signal), /disk/, 'a failure before the stop is the answer');
  });
});
