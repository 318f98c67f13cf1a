import type { EngineEvent } from './context';
import type { Logger } from './log';

/**
 * What the log says about each engine event: starts, resumes and endings as info;
 * retries, restarts and repairs as warnings (each says why); failures as errors with their
 * codes. Queue bookkeeping (state changes, removals) only at debug.
 */
export function logEngineEvent(log: Logger, event: EngineEvent): void {
  switch (event.type) {
    case 'started':
      log.info('transfer started', { id: event.id, direction: event.direction, name: event.name, total: event.total, url: event.url });
      return;
    case 'resumed':
      log.info('transfer resumed', { id: event.id, offset: event.offset, validator: event.validator, overlapBytes: event.overlapBytes, segments: event.segments });
      return;
    case 'retrying':
      log.warn('retrying', { id: event.id, code: event.error.code, status: event.error.status, message: event.error.message, delayMs: event.delayMs });
      return;
    case 'restarted':
      log.warn('transfer restarted from 0', { id: event.id, reason: event.reason });
      return;
    case 'repaired':
      log.warn('blocks fetched again', { id: event.id, blocks: event.blocks });
      return;
    case 'ended': {
      const r = event.record;
      const base = { id: r.id, direction: r.direction, url: r.url, path: r.path, bytes: r.offset, integrity: r.integrity.status, resumes: r.resumes, restarts: r.restarts };
      if (r.state === 'failed') log.error('transfer failed', { ...base, code: r.error?.code, status: r.error?.status, message: r.error?.message });
      else if (r.integrity.status === 'mismatch') log.error('transfer failed its integrity check', { ...base, expected: r.integrity.expected, actual: r.integrity.actual });
      else log.info(`transfer ${r.state}`, { ...base, sha256: r.sha256 });
      return;
    }
    case 'state':
      log.debug('state', { id: event.id, state: event.state });
      return;
    case 'removed':
      log.debug('removed', { id: event.id });
      return;
  }
}
