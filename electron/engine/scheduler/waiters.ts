import type { TransferRecord } from '../../common/transfer';

/** Hears one transfer settle; one waiter may wait for many transfers (SettleWaiters.listen). */
export interface Waiter {
  resolve(record: TransferRecord, id: string): void;
  reject(error: Error, id: string): void;
}

/**
 * Who waits for which transfer to settle (Engine.run, runAll, settled). Every waiter is
 * answered exactly once: with the record, or with an error saying why there is none.
 */
export class SettleWaiters {
  /** One waiter alone, or a list when several wait for the same transfer. */
  private readonly byId = new Map<string, Waiter | Waiter[]>();

  /**
   * `waiter` hears `id` settle, with the id: one waiter can listen for ten thousand
   * transfers without a promise, two closures and a list for each (issue 13).
   */
  listen(id: string, waiter: Waiter): void {
    const present = this.byId.get(id);
    if (present === undefined) this.byId.set(id, waiter);
    else if (Array.isArray(present)) present.push(waiter);
    else this.byId.set(id, [present, waiter]);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  resolve(id: string, record: TransferRecord): void {
    for (const waiter of this.take(id)) waiter.resolve(record, id);
  }

  reject(id: string, error: Error): void {
    for (const waiter of this.take(id)) waiter.reject(error, id);
  }

  private take(id: string): Waiter[] {
    const present = this.byId.get(id);
    this.byId.delete(id);
    if (present === undefined) return [];
    return Array.isArray(present) ? present : [present];
  }
}

/** True when `promise` settles within `ms`, false when the time runs out first. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
