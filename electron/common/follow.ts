import type { ChangesEvent, ServiceEvent, Snapshot, TransferClient } from './service';

/**
 * Follows the queue through a client: the snapshot, then every change batch after it, in
 * order. It subscribes before asking for the snapshot, so nothing falls in between, and
 * skips the batches the snapshot already holds. Other events (notices, settings) pass through.
 */
export async function followQueue(
  client: TransferClient,
  on: { snapshot(snapshot: Snapshot): void; changes(event: ChangesEvent): void; other?(event: Exclude<ServiceEvent, ChangesEvent>): void },
): Promise<() => void> {
  let base = -1;
  const early: ServiceEvent[] = [];
  const deliver = (event: ServiceEvent): void => {
    if (event.type !== 'changes') on.other?.(event);
    else if (event.batch > base) on.changes(event);
  };
  const stop = client.onEvent((event) => (base < 0 ? early.push(event) : deliver(event)));
  const snap = await client.snapshot();
  if (!snap.ok) {
    stop();
    throw new Error(snap.error.message);
  }
  on.snapshot(snap.value);
  base = snap.value.batch;
  for (const event of early.splice(0)) deliver(event);
  return stop;
}
