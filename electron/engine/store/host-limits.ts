import type Database from 'better-sqlite3';
import type { HostLimitInfo } from '../../common/service';

/** Why a host is held to fewer connections than the settings allow. */
export type HostLimitReason = HostLimitInfo['reason'];

/** A host's remembered limit, as stored: the connections it allowed when it last refused, and when. */
export interface StoredHostLimit {
  host: string;
  connections: number;
  reason: HostLimitReason;
  changedAt: number;
}

/** The host_limits table (migration 5): one row per host that asked for fewer connections. */
export class HostLimitStore {
  private readonly allStmt: Database.Statement<[], { host: string; connections: number; reason: string; changed_at: number }>;
  private readonly putStmt: Database.Statement<[string, number, string, number]>;
  private readonly deleteStmt: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.allStmt = db.prepare('SELECT host, connections, reason, changed_at FROM host_limits');
    this.putStmt = db.prepare(
      'INSERT INTO host_limits (host, connections, reason, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET connections = excluded.connections, reason = excluded.reason, changed_at = excluded.changed_at',
    );
    this.deleteStmt = db.prepare('DELETE FROM host_limits WHERE host = ?');
  }

  all(): StoredHostLimit[] {
    return this.allStmt.all().map((r) => ({ host: r.host, connections: r.connections, reason: r.reason as HostLimitReason, changedAt: r.changed_at }));
  }

  put(limit: StoredHostLimit): void {
    this.putStmt.run(limit.host, limit.connections, limit.reason, limit.changedAt);
  }

  delete(host: string): void {
    this.deleteStmt.run(host);
  }
}
