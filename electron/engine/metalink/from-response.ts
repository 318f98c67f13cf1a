/**
 * A plain link that answers with a Metalink (`Content-Type: application/metalink4+xml`,
 * RFC 5854 section 4.1): the download becomes the file the Metalink describes, with its
 * mirrors, its hash as the reference and its piece hashes, instead of saving the XML.
 */
import type { TransferRecord } from '../../common/transfer';
import type { Fetched } from '../download/fetcher';
import { leavesOrigin } from '../http/headers';
import { METALINK_MAX_BYTES, METALINK_MEDIA_TYPE, MetalinkError, parseMetalink } from './parse';

/** Whether `contentType` is a Metalink 4 document's. */
export function isMetalinkType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === METALINK_MEDIA_TYPE;
}

/** Reads at most METALINK_MAX_BYTES of the body; null when it is larger (it is then not read further). */
async function smallBody(fetched: Fetched): Promise<string | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of fetched.response.body) {
    fetched.watch.touch();
    size += chunk.length;
    if (size > METALINK_MAX_BYTES) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The record's changes that make it the download of the Metalink's (first) file, and what
 * to say of it; null when the body is no Metalink Ferry reads (then it is a file like any other).
 */
export async function metalinkTakeover(fetched: Fetched, rec: TransferRecord): Promise<{ changes: Partial<TransferRecord>; note: Record<string, unknown> } | null> {
  const text = await smallBody(fetched);
  if (text === null) return null;
  let files;
  try {
    files = parseMetalink(text);
  } catch (error) {
    if (error instanceof MetalinkError) return null;
    throw error;
  }
  const file = files[0]!;
  const [first, ...rest] = file.mirrors.map((m) => m.url);
  const hash = file.hashes[0];
  const changes: Partial<TransferRecord> = {
    url: first!,
    effectiveUrl: null,
    urlChain: [],
    mirrors: rest,
    pieces: file.pieces,
    requestedName: rec.requestedName ?? file.name,
    // A reference a person gave stays the reference; else the Metalink's hash is.
    ...(rec.userChecksum || !hash ? {} : { userChecksum: { algorithm: hash.algorithm, hex: hash.hex, source: 'metalink' as const } }),
    // The person's headers belong to the Metalink's origin; a mirror elsewhere does not get them.
    ...(leavesOrigin(rec.url, first!) ? { headers: [] } : {}),
  };
  const others = files.length - 1;
  const note = {
    reason: `the link answered with a Metalink; downloading the file it describes, ${file.name}, from ${file.mirrors.length} link${file.mirrors.length > 1 ? 's' : ''}${others > 0 ? ` (it describes ${others} more; give the Metalink's link to ferry get for all of them)` : ''}`,
    metalink: fetched.url,
  };
  return { changes, note };
}
