import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesHeld, contiguousEnd, isolateBlocks, planSegments, type Segment, splitLargest } from '../../electron/engine/download/segments';

const MiB = 1 << 20;
const seg = (start: number, end: number, position = start, tail: string | null = null): Segment => ({ start, end, position, tail });

describe('segments of a download', () => {
  test('equal parts on block boundaries, the last one ending at the total', () => {
    assert.deepEqual(planSegments(10 * MiB + 5, MiB, 4, MiB), [seg(0, 3 * MiB), seg(3 * MiB, 6 * MiB), seg(6 * MiB, 8 * MiB), seg(8 * MiB, 10 * MiB + 5)]);
    assert.deepEqual(planSegments(3 * MiB, MiB, 8, 2 * MiB), [seg(0, 3 * MiB)], 'never smaller than the minimum');
  });

  test('the run without gaps from 0 stops at the first segment not yet full', () => {
    assert.equal(contiguousEnd([seg(0, 10, 10), seg(10, 20, 15), seg(20, 30, 30)]), 15);
    assert.equal(contiguousEnd([seg(0, 10, 4), seg(10, 20, 20)]), 4);
    assert.equal(contiguousEnd([seg(0, 10, 10), seg(10, 20, 20)]), 20);
    assert.equal(bytesHeld([seg(0, 10, 4), seg(10, 20, 20)]), 14);
  });

  test('a free connection takes the back half of the running segment with the most left, on a block boundary', () => {
    const segments = [seg(0, 8 * MiB, 7 * MiB), seg(8 * MiB, 16 * MiB, 9 * MiB)];
    const added = splitLargest(segments, MiB, MiB, new Set(segments));
    assert.deepEqual(added, seg(13 * MiB, 16 * MiB));
    assert.deepEqual(segments, [seg(0, 8 * MiB, 7 * MiB), seg(8 * MiB, 13 * MiB, 9 * MiB), seg(13 * MiB, 16 * MiB)]);
    assert.equal(splitLargest([seg(0, 3 * MiB, 2 * MiB)], MiB, MiB, new Set()), null, 'only running segments are split');
    const small = [seg(0, 3 * MiB, 1.5 * MiB)];
    assert.equal(splitLargest(small, MiB, MiB, new Set(small)), null, 'less than two minimum segments left is not worth a connection');
  });

  test('a bad block gets a segment of its own; the bytes after it are kept', () => {
    const out = isolateBlocks([seg(0, 8 * MiB, 8 * MiB, 't0'), seg(8 * MiB, 16 * MiB, 12 * MiB + 5, 't1')], [2, 9], MiB);
    assert.deepEqual(out, [
      seg(0, 2 * MiB, 2 * MiB),
      seg(2 * MiB, 3 * MiB),
      seg(3 * MiB, 8 * MiB, 8 * MiB, 't0'),
      seg(8 * MiB, 9 * MiB, 9 * MiB),
      seg(9 * MiB, 10 * MiB),
      seg(10 * MiB, 16 * MiB, 12 * MiB + 5, 't1'),
    ]);
    assert.deepEqual(isolateBlocks([seg(0, 4 * MiB, 2 * MiB + 7, 'tail')], [2], MiB), [seg(0, 2 * MiB, 2 * MiB), seg(2 * MiB, 3 * MiB), seg(3 * MiB, 4 * MiB, 3 * MiB)], 'a bad tail block');
  });
});
