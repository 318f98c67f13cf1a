import type Database from 'better-sqlite3';
import { withoutUserinfo } from '../http/url-credentials';

/**
 * Keeps secrets the store has forgotten out of its files. Clearing a column is not enough:
 * SQLite leaves a changed or deleted row's old bytes in the page's free space, the WAL holds
 * earlier versions of the page, and the main file holds the old page until a checkpoint
 * copies the new one over it.
 */
export class Scrubber {
  private queued = false;

  constructor(private readonly db: Database.Database) {
    // SQLite zeroes the space a changed or deleted row leaves behind (the cost: freed pages
    // are written as zeros, a little more I/O when many rows go at once).
    db.pragma('secure_delete = ON');
  }

  /**
   * A TRUNCATE checkpoint: the database file gets the clean pages, the WAL is emptied.
   * Queued, so a burst of endings costs one checkpoint; closing the store checkpoints too.
   */
  soon(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (!this.db.open) return;
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Only this connection uses the file (EXCLUSIVE locking), so this should not fail;
        // if it does, the next scrub or the checkpoint at close does the same work.
      }
    }).unref();
  }
}

/**
 * Header values of transfers that ended for good, left by a crash between the end and the
 * scrub or by an older Ferry that never forgot them. True when there were any.
 */
export function forgetEndedTransfersSecrets(db: Database.Database): boolean {
  return db.prepare(`UPDATE transfers SET headers = '[]' WHERE state IN ('completed', 'canceled') AND headers <> '[]'`).run().changes > 0;
}

/**
 * An older Ferry kept a URL's user:pass@ as typed (and never sent it: its transport dropped
 * it), so the password showed in results, lists and details. Those URLs lose it, which
 * changes nothing they did; the same get finds them again by the URL without it. True when
 * anything changed.
 */
export function dropStoredUserinfo(db: Database.Database): boolean {
  const rows = db
    .prepare(`SELECT id, url, effective_url AS effective, url_chain AS chain FROM transfers WHERE url LIKE '%@%' OR effective_url LIKE '%@%' OR url_chain LIKE '%@%'`)
    .all() as Array<{ id: string; url: string; effective: string | null; chain: string }>;
  const history = db.prepare(`SELECT id, detail FROM history WHERE detail LIKE '%@%'`).all() as Array<{ id: number; detail: string }>;
  if (rows.length === 0 && history.length === 0) return false;
  const setUrls = db.prepare('UPDATE transfers SET url = ?, effective_url = ?, url_chain = ? WHERE id = ?');
  const setDetail = db.prepare('UPDATE history SET detail = ? WHERE id = ?');
  let changed = false;
  db.transaction(() => {
    for (const r of rows) {
      const url = withoutUserinfo(r.url);
      const effective = r.effective === null ? null : withoutUserinfo(r.effective);
      const chain = withoutUserinfo(r.chain);
      if (url === r.url && effective === r.effective && chain === r.chain) continue;
      setUrls.run(url, effective, chain, r.id);
      changed = true;
    }
    for (const h of history) {
      const detail = withoutUserinfo(h.detail);
      if (detail === h.detail) continue;
      setDetail.run(detail, h.id);
      changed = true;
    }
  })();
  return changed;
}
