import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { PARTIAL_SUFFIX } from '../download/live-partial';

/**
 * Forgets the bytes of a canceled or removed transfer that nothing could resume: a
 * download's partial file next to its target (ours, never the person's own file), an
 * upload's server-side upload URL.
 */
export function discardPartial(ctx: EngineContext, record: TransferRecord): void {
  if (record.direction === 'upload') {
    // An upload's partial lives on the server; forgetting its URL lets it expire there.
    if (record.state !== 'completed') ctx.store.reset(record.id, { uploadUrl: null, fingerprint: null, sentUpTo: 0 }, ctx.clock.now());
    return;
  }
  if (!record.name || record.state === 'completed') return;
  fs.rmSync(path.join(record.dir, record.name + PARTIAL_SUFFIX), { force: true });
  ctx.store.reset(record.id, {}, ctx.clock.now());
}
