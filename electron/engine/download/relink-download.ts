/**
 * `ferry relink` and the window's "Change link…": the new URL is proven (relink.ts) with the
 * transfer stopped, then either taken (the record's link and validators change, nothing
 * else) or refused (nothing changes; a transfer that was moving moves on).
 */
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { leavesOrigin } from '../http/headers';
import { splitCredentials } from '../http/url-credentials';
import { unsealHeaders } from '../secrets';
import { proveSameBytes } from './relink';

export type RelinkResult =
  | { ok: true; record: TransferRecord; how: string; droppedHeaders: boolean }
  | { ok: false; code: 'not-found' | 'refused'; reason: string };

export interface RelinkDeps {
  ctx: EngineContext;
  /** Stops a moving transfer with a checkpoint (the scheduler's pause). */
  pause(ids: string[]): Promise<void>;
  start(ids: string[]): void;
  /** Whether the scheduler runs it now. */
  isActive(id: string): boolean;
}

export async function relinkDownload(deps: RelinkDeps, id: string, url: string, signal: AbortSignal = new AbortController().signal): Promise<RelinkResult> {
  const { ctx } = deps;
  const refused = (reason: string): RelinkResult => ({ ok: false, code: 'refused', reason });
  const found = ctx.store.get(id);
  if (!found) return { ok: false, code: 'not-found', reason: `no transfer with id ${id}` };
  if (found.direction !== 'download') return refused('only a download can take a new link');
  if (found.state === 'completed') return refused('it is already complete');
  if (found.state === 'canceled') return refused('it was canceled and its bytes discarded; add the link with ferry get instead');
  if (splitCredentials(url).authorization !== null) return refused('a new link with a user name or password in it is not taken; give the link without them');
  if (found.url === url) return refused('that is the link it already has');

  const wasMoving = deps.isActive(id);
  if (wasMoving) await deps.pause([id]);
  const rec = ctx.store.get(id)!;
  const droppedHeaders = leavesOrigin(rec.url, url) && rec.headers.length > 0;
  let proof: Awaited<ReturnType<typeof proveSameBytes>>;
  try {
    const inClear = ctx.secrets ? await unsealHeaders(ctx.secrets, rec.headers) : rec.headers;
    proof = await proveSameBytes(ctx, { ...rec, headers: inClear }, ctx.store.blocks(id), url, signal);
  } catch (error) {
    proof = { ok: false, reason: `the new link could not be checked: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!proof.ok) {
    if (wasMoving) deps.start([id]);
    return refused(proof.reason);
  }
  const now = ctx.clock.now();
  ctx.store.transaction(() => {
    ctx.store.update(
      id,
      {
        url,
        effectiveUrl: proof.effectiveUrl,
        urlChain: proof.chain,
        etag: proof.validators.etag,
        lastModified: proof.validators.lastModified,
        ifRange: proof.validators.ifRange,
        error: null,
        // The person's headers belong to the origin they were given for (DESIGN section 7).
        ...(droppedHeaders ? { headers: [] } : {}),
        ...(rec.state === 'failed' ? { state: 'paused' as const } : {}),
      },
      now,
    );
    ctx.store.addHistory(id, 'relink', { from: rec.url, to: url, proof: proof.how, droppedHeaders }, now);
  });
  ctx.emit({ type: 'state', id, state: ctx.store.get(id)!.state });
  if (wasMoving) deps.start([id]);
  return { ok: true, record: ctx.store.get(id)!, how: proof.how, droppedHeaders };
}
