/**
 * The limits a person can change while transfers run, on their own so that whatever needs
 * to read them (the engine context, the CLI, the service) does not import the scheduler.
 */
export interface Limits {
  /** Transfers moving bytes at once. */
  maxActive: number;
  /** Requests in flight to one host, counted by Ferry (DESIGN.md section 5). */
  maxPerHost: number;
  /** Connections one download may open at once (a segmented download); 1 for none. */
  maxConnections: number;
  /** One global bandwidth limit in bytes per second; null for none. */
  bandwidth: number | null;
}

/**
 * Defaults a careful user would pick: 4 transfers at once keep a home connection busy
 * without one slow server holding everything up; 6 requests per host is what browsers
 * allow over HTTP/1.1, polite to a server and never the bottleneck for a few big files;
 * one connection per download unless asked (as curl and aria2 do per server): several
 * get past a per-connection rate limit, but on a shared server they mostly take
 * bandwidth from everyone else, so that is a choice a person makes (--connections).
 */
export const DEFAULT_LIMITS: Limits = { maxActive: 4, maxPerHost: 6, maxConnections: 1, bandwidth: null };
