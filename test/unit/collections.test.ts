/**
 * The collections the Node transport asks V8 for (core/collections.ts): a young one every
 * few megabytes read, and a full one once the heap in use has doubled since the last, so
 * that a run of thousands of small files keeps a heap the size of what is live, not of how
 * many files went by (issue 13).
 */
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { describe, test } from 'node:test';
import { CollectionPacer, HEAP_LOOK_BYTES, OLD_COLLECTION_FLOOR_BYTES, YOUNG_COLLECTION_BYTES, lookAtHeap, oldCollectionDue } from '../../electron/engine/core/collections';

const MB = 1 << 20;

/** A pacer over a heap whose size the test sets, recording the collections asked for. */
function fakeHeap(): { heap: { inUse: number }; asked: string[]; finish: () => Promise<void>; pacer: CollectionPacer } {
  const heap = { inUse: 0 };
  const asked: string[] = [];
  let finishMajor: () => void = () => undefined;
  const collect = (options: { type: 'minor' } | { type: 'major'; execution: 'async' }): Promise<void> | undefined => {
    asked.push(options.type);
    if (options.type === 'minor') return undefined;
    return new Promise<void>((resolve) => (finishMajor = resolve));
  };
  const pacer = new CollectionPacer(() => heap.inUse, () => collect);
  return {
    heap,
    asked,
    pacer,
    finish: async () => {
      finishMajor();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('collections', () => {
  test('a full collection is due past the floor and past twice what was live after the last', () => {
    const cases: Array<[inUse: number, liveAfterLast: number, due: boolean]> = [
      [OLD_COLLECTION_FLOOR_BYTES - 1, 0, false],
      [OLD_COLLECTION_FLOOR_BYTES, 0, true],
      [OLD_COLLECTION_FLOOR_BYTES, 10 * MB, true],
      [60 * MB, 40 * MB, false],
      [80 * MB, 40 * MB, true],
      [120 * MB, 70 * MB, false],
    ];
    for (const [used, live, due] of cases) assert.equal(oldCollectionDue(used, live), due, `${used / MB} MB in use, ${live / MB} MB live after the last`);
  });

  test('bytes read: a young collection every YOUNG_COLLECTION_BYTES, a look at the heap every HEAP_LOOK_BYTES', () => {
    const { heap, asked, pacer } = fakeHeap();
    heap.inUse = 10 * MB;
    pacer.socketRead(YOUNG_COLLECTION_BYTES - 1);
    assert.deepEqual(asked, []);
    pacer.socketRead(1);
    assert.deepEqual(asked, ['minor']);
    // The heap was looked at on the way (every HEAP_LOOK_BYTES), small then: nothing due.
    const looking = fakeHeap();
    looking.heap.inUse = OLD_COLLECTION_FLOOR_BYTES;
    looking.pacer.socketRead(HEAP_LOOK_BYTES - 1);
    assert.deepEqual(looking.asked, [], 'no look before HEAP_LOOK_BYTES were read');
    looking.pacer.socketRead(1);
    assert.deepEqual(looking.asked, ['major']);
  });

  test('one full collection at a time, and the next waits for the heap to double what it left', async () => {
    const { heap, asked, pacer, finish } = fakeHeap();
    heap.inUse = 100 * MB;
    pacer.look();
    pacer.look();
    assert.deepEqual(asked, ['major'], 'a second look while one runs starts nothing');
    heap.inUse = 40 * MB;
    await finish();
    heap.inUse = 79 * MB;
    pacer.look();
    assert.deepEqual(asked, ['major']);
    heap.inUse = 80 * MB;
    pacer.look();
    assert.deepEqual(asked, ['major', 'major']);
  });

  test('where V8 refuses its collector, nothing is asked and nothing breaks', () => {
    const pacer = new CollectionPacer(() => 500 * MB, () => null);
    pacer.socketRead(64 * MB);
    pacer.look();
  });

  test("this process's collector: a heap held past the floor by garbage is collected when the engine looks", async () => {
    let kept: Array<{ a: number; b: string }> | null = [];
    for (let i = 0; i < (120 * MB) / 64; i++) kept.push({ a: i, b: `item ${i}` });
    kept = null;
    const before = getHeapStatistics().used_heap_size;
    assert.ok(before > OLD_COLLECTION_FLOOR_BYTES, `the garbage should hold the heap past the floor (${(before / MB).toFixed(0)} MB in use)`);
    lookAtHeap();
    const end = Date.now() + 3000;
    while (getHeapStatistics().used_heap_size >= before / 2 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(getHeapStatistics().used_heap_size < before / 2, `heap in use ${(getHeapStatistics().used_heap_size / MB).toFixed(0)} MB, ${(before / MB).toFixed(0)} MB before the look`);
  });
});
