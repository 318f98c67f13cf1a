import type { HostLimitInfo } from '../../common/service';
import { type RateWindow, type TimeWindow, windowProblem } from '../../common/time-windows';
import type { TransferRecord } from '../../common/transfer';
import type { Engine } from '../engine';

/**
 * The service's part of issue 15's polite hosts and time windows: what the details say
 * about a transfer's hosts, and the check of windows a client sends.
 */

/** The hosts of a transfer's URLs that allow fewer connections than the settings, each once. */
export function hostLimitsOf(engine: Engine, record: TransferRecord): HostLimitInfo[] {
  const hosts = new Set<string>();
  for (const url of [record.url, ...record.urlChain, record.effectiveUrl]) {
    if (!url) continue;
    try {
      hosts.add(new URL(url).host);
    } catch {
      // not a URL: no host to speak of
    }
  }
  const ceiling = engine.limits.maxPerHost;
  return [...hosts].flatMap((host) => engine.hosts.describe(host, ceiling) ?? []);
}

/** The first window that starts and stops at the same time, named by its field; null when all are sound. */
export function windowsProblem(a: { activeHours: TimeWindow[] | null; bandwidthSchedule: RateWindow[] | null }): { field: string; message: string } | null {
  for (const key of ['activeHours', 'bandwidthSchedule'] as const) {
    for (const [i, w] of (a[key] ?? []).entries()) {
      const problem = windowProblem(w);
      if (problem) return { field: `${key}[${i}]`, message: problem };
    }
  }
  return null;
}
