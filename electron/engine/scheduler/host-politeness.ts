import type { HostLimitInfo } from '../../common/service';
import type { HostLimitReason, StoredHostLimit } from '../store/host-limits';
import type { TimeSource } from './bandwidth';

export type { HostLimitReason } from '../store/host-limits';

/**
 * Polite hosts (issue 15): a host that asks for fewer connections gets fewer, and Ferry
 * remembers it across runs.
 *
 * - Stepping down. A 429, a 503 with Retry-After, or a refused extra connection (a 503, a
 *   refused or reset connection while other requests to the host are in flight) lowers the
 *   host's limit to one less than the requests Ferry had in flight to it then (at least 1).
 *   Requests sent before the last step belong to the burst that caused it and do not step
 *   again: four segments refused together are one step, not four.
 * - Broken ranges. A host that answered a segment's range badly while other segments ran
 *   is held to one connection.
 * - Recovery. One more connection for every `quietMs` (10 minutes) without a refusal,
 *   counted from the last one, until the setting's own limit is reached. Broken ranges are
 *   a server's bug, not its load: that host gets parallel requests again only after
 *   `brokenRangesMs` (7 days), when it may have been fixed.
 *
 * Limits are counted by Ferry as requests in flight (DESIGN.md section 5); the request
 * limiter asks `allows` for each host. Rows live in the store's host_limits table.
 */
export interface PolitenessTuning {
  quietMs: number;
  brokenRangesMs: number;
}

export const POLITENESS: PolitenessTuning = { quietMs: 10 * 60_000, brokenRangesMs: 7 * 24 * 60 * 60_000 };

/** No setting allows more requests per host than this (the contract's maxPerHost bound). */
const MOST_PER_HOST = 64;

/** What the store keeps; the engine hands in store/host-limits.ts's HostLimitStore. */
export interface HostLimitRows {
  all(): StoredHostLimit[];
  put(limit: StoredHostLimit): void;
  delete(host: string): void;
}

/** Network error codes that mean a connection was refused or dropped before any answer. */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

export class HostPoliteness {
  private readonly known = new Map<string, StoredHostLimit>();
  /** Requests are numbered as they are sent; a step remembers the number it was taken at. */
  private sent = 0;
  private readonly steppedAt = new Map<string, number>();

  constructor(
    private readonly rows: HostLimitRows | null,
    private readonly clock: TimeSource,
    private readonly tuning: PolitenessTuning = POLITENESS,
  ) {
    for (const row of rows?.all() ?? []) {
      if (this.current(row, MOST_PER_HOST) === null) rows!.delete(row.host);
      else this.known.set(row.host, row);
    }
  }

  /** A number for a request being sent now, to hand back with its answer. */
  sending(): number {
    return ++this.sent;
  }

  /** The requests `host` allows now, below `ceiling` (the setting); null when Ferry knows no lower limit. */
  allows(host: string, ceiling: number): number | null {
    const row = this.known.get(host);
    return row ? this.current(row, ceiling) : null;
  }

  /**
   * A host answered `status` to the request numbered `ticket` (by `sending`), with `inFlight`
   * requests to it (this one included) in flight.
   */
  answered(host: string, status: number, retryAfter: boolean, ticket: number, inFlight: number): void {
    if (status === 429 || (status === 503 && retryAfter)) this.stepDown(host, 'rate-limited', ticket, inFlight);
    else if (status === 503 && inFlight > 1) this.stepDown(host, 'refused-connections', ticket, inFlight);
  }

  /** A request failed before any answer; `code` is its network error code. */
  failed(host: string, code: string, ticket: number, inFlight: number): void {
    if (REFUSED_CODES.has(code) && inFlight > 1) this.stepDown(host, 'refused-connections', ticket, inFlight);
  }

  /** A segment's range was answered badly while other segments of the file ran: one connection from now on. */
  brokeRanges(host: string): void {
    this.remember({ host, connections: 1, reason: 'broken-ranges', changedAt: this.clock.now() });
  }

  /** What the details say about `host`, or null when it is held to nothing below `ceiling`. */
  describe(host: string, ceiling: number): HostLimitInfo | null {
    const row = this.known.get(host);
    const connections = row ? this.current(row, ceiling) : null;
    if (!row || connections === null) return null;
    const name = host.replace(/:\d+$/, (port) => (port === ':80' || port === ':443' ? '' : port));
    const allows = `${name} allows ${connections} connection${connections === 1 ? '' : 's'}`;
    const why =
      row.reason === 'broken-ranges'
        ? 'it sent wrong ranges while several were asked at once; Ferry asks it one at a time'
        : `${row.reason === 'rate-limited' ? 'it asked Ferry to slow down (429 or 503 with Retry-After)' : 'it refused extra connections'}; Ferry adds one back after ${Math.round(this.tuning.quietMs / 60_000)} quiet minutes`;
    return { host, connections, reason: row.reason, since: row.changedAt, message: `${allows} (${why})` };
  }

  private stepDown(host: string, reason: HostLimitReason, ticket: number, inFlight: number): void {
    const row = this.known.get(host);
    if (row?.reason === 'broken-ranges' && this.current(row, MOST_PER_HOST) !== null) return; // already one at a time
    // Sent before the last step: part of the burst that caused it, already answered.
    if (ticket <= (this.steppedAt.get(host) ?? 0)) return;
    const current = (row && this.current(row, MOST_PER_HOST)) ?? MOST_PER_HOST;
    const connections = Math.max(1, Math.min(current, inFlight) - 1);
    this.steppedAt.set(host, this.sent);
    this.remember({ host, connections, reason, changedAt: this.clock.now() });
  }

  /** The row's limit with the recovery earned since, or null once it no longer limits below `ceiling`. */
  private current(row: StoredHostLimit, ceiling: number): number | null {
    const elapsed = Math.max(0, this.clock.now() - row.changedAt);
    if (row.reason === 'broken-ranges') return elapsed < this.tuning.brokenRangesMs && ceiling > 1 ? 1 : null;
    const connections = row.connections + Math.floor(elapsed / this.tuning.quietMs);
    return connections < ceiling ? connections : null;
  }

  private remember(row: StoredHostLimit): void {
    this.known.set(row.host, row);
    try {
      this.rows?.put(row);
    } catch {
      // A store that cannot write forgets this at the next start; this run still honours it.
    }
  }
}
