import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `ferry serve` keeps its token and last port: the data directory, readable by its owner only. */
const FILE = 'serve.json';

/** The port tried first when none was given or remembered; any free one when it is taken. */
export const DEFAULT_SERVE_PORT = 8767;

export interface ServeIdentity {
  token: string;
  /** The port this data directory was last served on, if any. */
  port: number | null;
}

/**
 * The token (and last port) of `ferry serve` for this data directory (shared/DESIGN.md
 * section 7): kept so that a restart gives the same URL and bookmarks and open tabs keep
 * working; `rotate` (--new-token) replaces the token, which shuts out every old link.
 */
export function loadServeIdentity(dataDir: string, rotate: boolean): ServeIdentity {
  const file = path.join(dataDir, FILE);
  let stored: Partial<ServeIdentity> = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ServeIdentity>;
  } catch {
    // None yet, or unreadable: a new token is made below.
  }
  const valid = typeof stored.token === 'string' && /^[A-Za-z0-9_-]{32,}$/.test(stored.token);
  const identity: ServeIdentity = {
    token: valid && !rotate ? stored.token! : crypto.randomBytes(24).toString('base64url'),
    port: Number.isInteger(stored.port) && stored.port! > 0 && stored.port! < 65536 ? stored.port! : null,
  };
  if (identity.token !== stored.token) saveServeIdentity(dataDir, identity);
  return identity;
}

export function saveServeIdentity(dataDir: string, identity: ServeIdentity): void {
  const file = path.join(dataDir, FILE);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(identity), { mode: 0o600 });
  fs.renameSync(temp, file);
}
