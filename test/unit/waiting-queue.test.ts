/** The queue's order (electron/engine/scheduler/waiting-queue.ts), also across the thousands of takes a batch makes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WaitingQueue } from '../../electron/engine/scheduler/waiting-queue';

const entry = (id: string, seq: number, host = 'a.example', priority = 0) => ({ id, state: 'queued' as const, priority, seq, url: `http://${host}/${id}`, effectiveUrl: null });

test('the queue takes by priority then order, skips hosts at their limit, and keeps that order through thousands of takes, removals and reorders (issue 13)', () => {
  const q = new WaitingQueue();
  const n = 5000;
  for (let i = 0; i < n; i++) q.add(entry(`t${i}`, i + 1, i % 2 ? 'b.example' : 'a.example'));
  q.add(entry('urgent', n + 1, 'a.example', 5));
  const none = new Map<string, number>();
  const limit = (): number => 1;
  assert.equal(q.takeNext(none, limit)!.id, 'urgent', 'a higher priority goes first');
  assert.equal(q.takeNext(new Map([['a.example', 1]]), limit)!.id, 't1', 'a host at its limit is skipped, not waited for');
  const taken: string[] = [];
  for (let i = 0; i < 3000; i++) taken.push(q.takeNext(none, limit)!.id);
  assert.deepEqual(taken.slice(0, 3), ['t0', 't2', 't3']);
  assert.equal(taken.at(-1), 't3000');
  q.remove('t3003');
  assert.equal(q.has('t3003'), false);
  q.add(entry('late', 0));
  assert.equal(q.takeNext(none, limit)!.id, 'late', 'an entry placed before the rest after thousands of takes goes first');
  assert.equal(q.takeNext(none, limit)!.id, 't3001');
  q.reorder((id) => (id === 't4999' ? { priority: 9, seq: 1 } : undefined));
  assert.equal(q.takeNext(none, limit)!.id, 't4999', 'a reorder after takes sorts what is left');
  assert.equal(q.takeNext(none, limit)!.id, 't3002');
  assert.equal(q.takeNext(none, limit)!.id, 't3004', 'the removed one is not taken');
  let left = 0;
  while (q.takeNext(none, limit)) left++;
  // n + urgent + late, less the removed one and the 2 + 3,000 + 5 taken above.
  assert.equal(left, n + 2 - 1 - 3007, 'every entry is taken once');
  assert.equal(q.takeNext(none, limit), undefined);
  q.add(entry('again', 1));
  assert.equal(q.takeNext(none, limit)!.id, 'again');
});
