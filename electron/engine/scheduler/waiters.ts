import type { TransferRecord } from '../../common/transfer';

interface Waiter {
  resolve(record: TransferRecord): void;
  reject(error: Error): void;
}

/**
 * Who waits for which transfer to settle (Engine.run, runAll, settled). Every waiter is
 * answered exactly once: with the record, or with an error saying why there is none.
 */
export class SettleWaiters {
  private readonly byId = new Map<string, Waiter[]>();

  wait(id: string): Promise<TransferRecord> {
    return new Promise((resolve, reject) => {
      const list = this.byId.get(id);
      if (list) list.push({ resolve, reject });
      else this.byId.set(id, [{ resolve, reject }]);
    });
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  resolve(id: string, record: TransferRecord): void {
    const list = this.take(id);
    for (const waiter of list) waiter.resolve(record);
  }

  reject(id: string, error: Error): void {
    const list = this.take(id);
    for (const waiter of list) waiter.reject(error);
  }

  private take(id: string): Waiter[] {
    const list = this.byId.get(id) ?? [];
    this.byId.delete(id);
    return list;
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
