import type Database from 'better-sqlite3';

/** Settings as stored: one JSON value per key, read and written whole. */
export class SettingsStore {
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string]>;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.setStmt = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  get<T>(key: string): T | undefined {
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    try {
      return JSON.parse(row.value) as T;
    } catch {
      return undefined; // a damaged value reads as unset: the default applies and the next write repairs it
    }
  }

  /** Writes several keys in one transaction. */
  setMany(values: Record<string, unknown>): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.setStmt.run(key, JSON.stringify(value));
    })();
  }
}
