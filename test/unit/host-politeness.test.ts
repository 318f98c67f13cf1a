import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPoliteness, POLITENESS } from '../../electron/engine/scheduler/host-politeness';
import type { StoredHostLimit } from '../../electron/engine/store/host-limits';

/** Polite hosts (issue 15): stepping down, one step per burst, slow recovery, broken ranges. */
function rows(): { all(): StoredHostLimit[]; put(r: StoredHostLimit): void; delete(h: string): void; map: Map<string, StoredHostLimit> } {
  const map = new Map<string, StoredHostLimit>();
  return { map, all: () => [...map.values()], put: (r) => void map.set(r.host, r), delete: (h) => void map.delete(h) };
}

test('a 429 steps the host to one less than it had in flight; answers to the same burst do not step again', () => {
  let now = 1_000_000;
  const store = rows();
  const hosts = new HostPoliteness(store, { now: () => now });
  const burst = [hosts.sending(), hosts.sending(), hosts.sending(), hosts.sending()];
  hosts.answered('example.com', 429, false, burst[1]!, 4);
  assert.equal(hosts.allows('example.com', 6), 3);
  hosts.answered('example.com', 429, false, burst[2]!, 3);
  hosts.answered('example.com', 503, true, burst[3]!, 2);
  assert.equal(hosts.allows('example.com', 6), 3, 'sent before the step: the same burst');
  // A request sent after the step that is refused again steps once more.
  hosts.answered('example.com', 429, false, hosts.sending(), 3);
  assert.equal(hosts.allows('example.com', 6), 2);
  assert.equal(hosts.describe('example.com', 6)?.message.startsWith('example.com allows 2 connections'), true);
  assert.deepEqual(store.map.get('example.com'), { host: 'example.com', connections: 2, reason: 'rate-limited', changedAt: now });
  // Never below one.
  for (let i = 0; i < 3; i++) hosts.answered('example.com', 429, false, hosts.sending(), 1);
  assert.equal(hosts.allows('example.com', 6), 1);
  // Other hosts are untouched.
  assert.equal(hosts.allows('other.example', 6), null);
  now += 0;
});

test('recovery: one connection back per quiet period, until the setting no longer needs the row', () => {
  let now = 5_000_000;
  const store = rows();
  const hosts = new HostPoliteness(store, { now: () => now });
  hosts.answered('h', 429, false, hosts.sending(), 3);
  assert.equal(hosts.allows('h', 6), 2);
  now += POLITENESS.quietMs - 1;
  assert.equal(hosts.allows('h', 6), 2);
  now += 1;
  assert.equal(hosts.allows('h', 6), 3);
  now += 2 * POLITENESS.quietMs;
  assert.equal(hosts.allows('h', 6), 5);
  now += POLITENESS.quietMs;
  assert.equal(hosts.allows('h', 6), null, 'back to the setting');
  // A fresh engine on the same store reads what is left, and drops rows long recovered.
  now += 100 * POLITENESS.quietMs;
  const reopened = new HostPoliteness(store, { now: () => now });
  assert.equal(reopened.allows('h', 64), null);
  assert.equal(store.map.size, 0);
});

test('a refusal while recovering steps down from where recovery got to', () => {
  let now = 0;
  const hosts = new HostPoliteness(rows(), { now: () => now });
  hosts.answered('h', 429, false, hosts.sending(), 2);
  assert.equal(hosts.allows('h', 6), 1);
  now += 3 * POLITENESS.quietMs;
  assert.equal(hosts.allows('h', 6), 4);
  hosts.answered('h', 429, false, hosts.sending(), 4);
  assert.equal(hosts.allows('h', 6), 3);
});

test('refused extra connections: a bare 503 or a refused connection counts only with others in flight', () => {
  const hosts = new HostPoliteness(rows(), { now: () => 0 });
  hosts.answered('a', 503, false, hosts.sending(), 1);
  hosts.failed('a', 'ECONNREFUSED', hosts.sending(), 1);
  assert.equal(hosts.allows('a', 6), null);
  hosts.failed('a', 'ENOTFOUND', hosts.sending(), 3);
  assert.equal(hosts.allows('a', 6), null, 'a DNS failure is no refusal');
  hosts.failed('a', 'ECONNRESET', hosts.sending(), 3);
  assert.equal(hosts.allows('a', 6), 2);
  assert.equal(hosts.describe('a', 6)?.reason, 'refused-connections');
  hosts.answered('b', 503, false, hosts.sending(), 4);
  assert.equal(hosts.allows('b', 6), 3);
});

test('broken ranges hold a host to one connection for days, whatever it answers meanwhile', () => {
  let now = 0;
  const hosts = new HostPoliteness(rows(), { now: () => now });
  hosts.brokeRanges('r');
  hosts.answered('r', 429, false, hosts.sending(), 1);
  assert.equal(hosts.allows('r', 6), 1);
  assert.equal(hosts.describe('r', 6)?.reason, 'broken-ranges');
  now += 6 * 24 * 60 * 60_000;
  assert.equal(hosts.allows('r', 6), 1);
  now += POLITENESS.brokenRangesMs;
  assert.equal(hosts.allows('r', 6), null);
});
