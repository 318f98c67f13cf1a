import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A new transfer's id: a UUID (version 7, RFC 9562) that sorts in the order ids are made,
 * the time in milliseconds first, then a counter within the millisecond, then 62 random
 * bits. The history, block and segment tables are indexed by transfer id: with random ids
 * the rows of the transfers running together fell on pages all over those indexes, each a
 * page more in the commit that wrote them; made in order they share pages (issue 13).
 */
export function orderedId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 in one millisecond: borrow the next one (the clock only orders, never dates).
    lastMs++;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  // randomUUID: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V already the RFC variant; its last 62 bits stay random.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter.toString(16).padStart(3, '0')}${randomUUID().slice(18)}`;
}
