import type Database from 'better-sqlite3';

/**
 * The SQL the transfer store runs, prepared once per connection (store/transfers.ts). Whole
 * rows of transfers are read raw, as arrays (rows.ts rowReader).
 */
export function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare('SELECT * FROM transfers WHERE id = ?').raw(),
    list: db.prepare('SELECT * FROM transfers ORDER BY priority DESC, seq').raw(),
    unfinished: db.prepare(`SELECT * FROM transfers WHERE state NOT IN ('completed', 'canceled') ORDER BY priority DESC, seq`).raw(),
    uploadIdentity: db.prepare(
      `SELECT * FROM transfers WHERE direction = 'upload' AND source = ? AND url = ?
         AND state NOT IN ('completed', 'canceled') ORDER BY seq LIMIT 1`,
    ).raw(),
    identity: db.prepare(
      `SELECT * FROM transfers WHERE direction = 'download' AND url = ? AND dir = ? AND requested_name IS ?
         AND state NOT IN ('completed', 'canceled') ORDER BY seq LIMIT 1`,
    ).raw(),
    // The unfinished one first (the earliest), else the latest completed one with a path.
    sameDownload: db.prepare(
      `SELECT * FROM transfers WHERE direction = 'download' AND url = ? AND dir = ? AND requested_name IS ?
         AND (state NOT IN ('completed', 'canceled') OR (state = 'completed' AND path IS NOT NULL))
         ORDER BY state = 'completed', CASE WHEN state = 'completed' THEN -seq ELSE seq END LIMIT 1`,
    ).raw(),
    nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM transfers'),
    blocks: db.prepare('SELECT idx, digest FROM blocks WHERE transfer_id = ? ORDER BY idx'),
    putBlock: db.prepare('INSERT OR REPLACE INTO blocks (transfer_id, idx, digest) VALUES (?, ?, ?)'),
    clearBlocks: db.prepare('DELETE FROM blocks WHERE transfer_id = ?'),
    segments: db.prepare('SELECT start, end, position, tail_digest AS tail FROM segments WHERE transfer_id = ? ORDER BY start'),
    putSegment: db.prepare('INSERT INTO segments (transfer_id, start, end, position, tail_digest) VALUES (?, ?, ?, ?, ?)'),
    clearSegments: db.prepare('DELETE FROM segments WHERE transfer_id = ?'),
    addHistory: db.prepare('INSERT INTO history (transfer_id, at, kind, detail) VALUES (?, ?, ?, ?)'),
    // A row that waited in the batch is dropped if its transfer was removed meanwhile.
    addHistoryIfKnown: db.prepare('INSERT INTO history (transfer_id, at, kind, detail) SELECT @id, @at, @kind, @detail WHERE EXISTS (SELECT 1 FROM transfers WHERE id = @id)'),
    // Rows older than the latest HISTORY_LIMIT go, except the first start (how it began)
    // and the first capture (where it came from).
    // Below the limit the OFFSET finds no row, the comparison is NULL, and nothing goes.
    trimHistory: db.prepare(
      `DELETE FROM history WHERE transfer_id = @id
         AND id < (SELECT id FROM history WHERE transfer_id = @id ORDER BY id DESC LIMIT 1 OFFSET @keep)
         AND id IS NOT (SELECT MIN(id) FROM history WHERE transfer_id = @id AND kind = 'start')
         AND id IS NOT (SELECT MIN(id) FROM history WHERE transfer_id = @id AND kind = 'captured')`,
    ),
    finished: db.prepare(`SELECT id, state FROM transfers WHERE state IN (SELECT value FROM json_each(?))`),
    history: db.prepare('SELECT at, kind, detail FROM history WHERE transfer_id = ? ORDER BY id'),
    remove: db.prepare('DELETE FROM transfers WHERE id = ?'),
    setSeq: db.prepare('UPDATE transfers SET seq = ? WHERE id = ?'),
    minSeq: db.prepare('SELECT COALESCE(MIN(seq), 0) AS seq FROM transfers'),
    nameClaimed: db.prepare(`SELECT 1 FROM transfers WHERE dir = ? AND name = ? AND state NOT IN ('completed', 'canceled') LIMIT 1`),
    nameClaimedByOther: db.prepare(`SELECT 1 FROM transfers WHERE dir = ? AND name = ? AND id <> ? AND state NOT IN ('completed', 'canceled') LIMIT 1`),
    holdsSecrets: db.prepare(`SELECT 1 FROM transfers WHERE id = ? AND headers <> '[]'`),
    userChecksum: db.prepare('SELECT user_checksum FROM transfers WHERE id = ?').pluck(),
    queueEntry: db.prepare('SELECT id, state, priority, seq, url, effective_url AS effectiveUrl FROM transfers WHERE id = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
