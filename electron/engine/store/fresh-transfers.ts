/**
 * What the store knows of the transfers it created since it opened, so that a small
 * file's writes skip statements that could find nothing to do: the trim of a history far
 * below its limit, the clearing of block digests and segments never written, and the
 * look for header values never given (4 of the ~17 statements a file made; issue 13). All of a transfer's history, blocks and
 * segments are written through TransferStore, which tells this class; a transfer it did not
 * create, or one that ended for good or was removed, is not known, and is treated as
 * before. What is kept lasts only while a created transfer has not ended.
 */
export class FreshTransfers {
  /** History rows written for each transfer created since the store opened. */
  private readonly historyRows = new Map<string, number>();
  /** Created since the store opened, and no block digest or segment written since. */
  private readonly noBlocks = new Set<string>();
  /** Created since the store opened without header values, and given none since. */
  private readonly noSecrets = new Set<string>();

  created(id: string, secrets: boolean): void {
    this.historyRows.set(id, 0);
    this.noBlocks.add(id);
    if (!secrets) this.noSecrets.add(id);
  }

  /** Header values were written for `id` (`secrets`: any at all). */
  headersWritten(id: string, secrets: boolean): void {
    if (secrets) this.noSecrets.delete(id);
  }

  /** Certainly no header value on record (false: there may be). */
  holdsNoSecrets(id: string): boolean {
    return this.noSecrets.has(id);
  }

  /** A history row was written: whether the history may now hold more than `limit` rows (and must be trimmed). */
  historyAdded(id: string, limit: number): boolean {
    const rows = this.historyRows.get(id);
    if (rows === undefined) return true;
    this.historyRows.set(id, rows + 1);
    return rows + 1 > limit;
  }

  blocksWritten(id: string): void {
    this.noBlocks.delete(id);
  }

  /** Certainly no block digest or segment on record (false: there may be). */
  holdsNoBlocks(id: string): boolean {
    return this.noBlocks.has(id);
  }

  /** Ended for good or removed: nothing more is kept. */
  forget(id: string): void {
    this.historyRows.delete(id);
    this.noBlocks.delete(id);
    this.noSecrets.delete(id);
  }
}
