import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` counts how many ran.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE transfers (
        id              TEXT PRIMARY KEY,
        direction       TEXT NOT NULL CHECK (direction IN ('download', 'upload')),
        state           TEXT NOT NULL,
        url             TEXT NOT NULL,
        dir             TEXT NOT NULL,
        requested_name  TEXT,
        name            TEXT,
        path            TEXT,
        headers         TEXT NOT NULL DEFAULT '[]',
        user_checksum   TEXT,
        server_checksum TEXT,
        total           INTEGER,
        offset          INTEGER NOT NULL DEFAULT 0,
        etag            TEXT,
        last_modified   TEXT,
        if_range        TEXT,
        effective_url   TEXT,
        url_chain       TEXT NOT NULL DEFAULT '[]',
        encoded         INTEGER NOT NULL DEFAULT 0,
        block_size      INTEGER NOT NULL,
        tail_digest     TEXT,
        sha256          TEXT,
        integrity       TEXT NOT NULL,
        error           TEXT,
        resumes         INTEGER NOT NULL DEFAULT 0,
        restarts        INTEGER NOT NULL DEFAULT 0,
        priority        INTEGER NOT NULL DEFAULT 0,
        seq             INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        completed_at    INTEGER
      );
      CREATE INDEX transfers_by_identity ON transfers (direction, url, dir, state);
      CREATE INDEX transfers_by_order ON transfers (priority DESC, seq);

      -- SHA-256 of each complete block of a partial, written with the checkpoint that covers it.
      CREATE TABLE blocks (
        transfer_id TEXT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        digest      TEXT NOT NULL,
        PRIMARY KEY (transfer_id, idx)
      ) WITHOUT ROWID;

      -- What happened to a transfer: resumes with their checks, restarts and why, errors.
      CREATE TABLE history (
        id          INTEGER PRIMARY KEY,
        transfer_id TEXT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
        at          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        detail      TEXT NOT NULL
      );
      CREATE INDEX history_by_transfer ON history (transfer_id, id);
    `);
  },
  (db) => {
    db.exec(`
      -- The segments of a download that several connections fill at once, as of the last
      -- checkpoint; none for a download that runs as one stream.
      CREATE TABLE segments (
        transfer_id TEXT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
        start       INTEGER NOT NULL,
        end         INTEGER NOT NULL,
        position    INTEGER NOT NULL,
        tail_digest TEXT,
        PRIMARY KEY (transfer_id, start)
      ) WITHOUT ROWID;

      -- Choosing a free name asks whether an unfinished transfer claims it in its folder.
      CREATE INDEX transfers_by_name ON transfers (dir, name);
    `);
  },
  (db) => {
    db.exec(`
      -- Uploads: the local file, its fingerprint, the protocol and the server's upload URL.
      ALTER TABLE transfers ADD COLUMN source TEXT;
      ALTER TABLE transfers ADD COLUMN fingerprint TEXT;
      ALTER TABLE transfers ADD COLUMN protocol TEXT;
      ALTER TABLE transfers ADD COLUMN relative_path TEXT;
      ALTER TABLE transfers ADD COLUMN upload_url TEXT;
      ALTER TABLE transfers ADD COLUMN sent_up_to INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX transfers_by_source ON transfers (direction, source, url, state);
    `);
  },
  (db) => {
    db.exec(`
      -- Settings a person changes in the window (limits, folders, upload destinations),
      -- one JSON value per key. Secrets inside them are sealed (see engine/secrets.ts).
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
  },
  (db) => {
    db.exec(`
      -- Other links to the same file (a Metalink's mirrors), as a JSON array of URLs.
      ALTER TABLE transfers ADD COLUMN mirrors TEXT NOT NULL DEFAULT '[]';
    `);
  },
  (db) => {
    db.exec(`
      -- Hosts that asked for fewer connections (429, 503 with Retry-After, refused extra
      -- connections) or broke ranges under parallel requests: how many they allow, why, and
      -- since when (recovery counts from then; see scheduler/host-politeness.ts).
      CREATE TABLE host_limits (
        host        TEXT PRIMARY KEY,
        connections INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        changed_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
  (db) => {
    db.exec(`
      -- Checksum files beside a download (issue 15): may Ferry search, the one a person
      -- named, and the reference found (JSON, see SidecarState).
      ALTER TABLE transfers ADD COLUMN sidecar TEXT;
    `);
  },
  (db) => {
    db.exec(`
      -- A Metalink's piece hashes (JSON: length, algorithm, hashes), for repairing a piece.
      ALTER TABLE transfers ADD COLUMN pieces TEXT;
    `);
  },
  (db) => {
    db.exec(`
      -- Indexes a download's state changes no longer rewrite (issue 13: every index entry a
      -- commit changes is another page in the log). The identity of a download is its URL,
      -- folder and name; which of its rows is unfinished is read from the few rows found.
      DROP INDEX transfers_by_identity;
      CREATE INDEX transfers_by_target ON transfers (direction, url, dir);
      -- Only uploads are looked up by source: downloads stay out of this index.
      DROP INDEX transfers_by_source;
      CREATE INDEX uploads_by_source ON transfers (source, url, state) WHERE direction = 'upload';
      -- A name is looked up only while a transfer claims it (nameClaimed): the index holds
      -- those few rows, so the names of a busy queue share a page instead of each dirtying its own.
      DROP INDEX transfers_by_name;
      CREATE INDEX names_claimed ON transfers (dir, name) WHERE name IS NOT NULL AND state NOT IN ('completed', 'canceled');
    `);
  },
];
