import * as fs from 'node:fs';
import type { DigestReference } from '../common/integrity';
import type { TransferRecord } from '../common/transfer';
import type { EngineContext } from './context';
import { hashFile } from './hash/hash-file';

/**
 * The same download finished before and its file is still the one it verified: the
 * completed record, not a second copy (`ferry get` run again). Proven by hashing the file
 * again (a file changed or replaced since is downloaded anew); a checksum given now must
 * match it too, and is then the verdict on record.
 */
export async function stillDone(ctx: EngineContext, input: { url: string; dir: string; name?: string | null; checksum?: DigestReference | null }): Promise<TransferRecord | null> {
  const { store } = ctx;
  const done = store.findSameDownload(input.url, input.dir, input.name ?? null);
  if (done?.state !== 'completed' || !done.path || !done.sha256) return null;
  const st = fs.lstatSync(done.path, { throwIfNoEntry: false });
  if (!st?.isFile() || (done.total !== null && st.size !== done.total)) return null;
  const reference = input.checksum ?? null;
  const algorithms = reference && reference.algorithm !== 'sha256' ? (['sha256', reference.algorithm] as const) : (['sha256'] as const);
  const digests = await hashFile(ctx.hashPool, done.path, [...algorithms]).catch(() => null);
  if (digests?.sha256 !== done.sha256) return null;
  if (!reference) return done;
  if (digests[reference.algorithm] !== reference.hex) return null;
  const integrity = { status: 'verified', algorithm: reference.algorithm, expected: reference.hex, actual: reference.hex, source: reference.source } as const;
  store.update(done.id, { userChecksum: reference, integrity }, ctx.clock.now());
  return store.get(done.id) ?? done;
}
