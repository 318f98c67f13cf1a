import { TransferFailure, transferError } from '../../common/errors';
import type { Integrity } from '../../common/integrity';
import { statusFailure } from '../core/failure';
import type { HashPool, HashSession } from '../hash/hash-pool';
import { serverDigestReference } from '../http/digest-headers';
import { type OpenedSource, SourceModified } from './source';
import type { UploadHttp } from './upload-http';

/** What a PUT ended with: our SHA-256 of what was sent and the verdict the answer allows. */
export interface PutOutcome {
  sha256: string;
  integrity: Integrity;
}

/**
 * Plain HTTP PUT: the whole file in one streamed request with its SHA-256 in
 * Content-Digest (RFC 9530). Not resumable: a retry sends the file again from 0. A server
 * that answers with a digest of what it stored proves the bytes (or shows them damaged);
 * else our SHA-256 is recorded. `starting` runs once the digest is known, just before the
 * request goes.
 */
export async function putWhole(http: UploadHttp, hashPool: HashPool, source: OpenedSource, url: string, signal: AbortSignal, starting: () => void): Promise<PutOutcome> {
  const { size } = source.fingerprint;
  const [file] = hashPool.open([{ algorithms: ['sha256'], blockSize: 0 }], []) as [HashSession];
  let sha256: string;
  try {
    await file.feedFile(source.readPath, 0, size);
    sha256 = (await file.final()).sha256!;
  } finally {
    file.close();
  }
  const headers = {
    'content-length': String(size),
    'content-type': 'application/octet-stream',
    'content-digest': `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`,
  };
  starting();
  const response = await http.sendBody('PUT', url, headers, readChunks(source), signal);
  response.discard();
  if (response.status < 200 || response.status >= 300) throw statusFailure(response, url);
  try {
    source.check();
  } catch (error) {
    // A PUT cannot be spliced or resumed: the next attempt sends the new version whole.
    if (error instanceof SourceModified) throw new TransferFailure(transferError('source-changed', `${error.message}; the server got the version before.`, true));
    throw error;
  }
  const reference = serverDigestReference(response.headers, true);
  const integrity: Integrity =
    reference?.algorithm === 'sha256'
      ? { status: reference.hex === sha256 ? 'verified' : 'mismatch', algorithm: 'sha256', expected: reference.hex, actual: sha256, source: 'server-digest' }
      : { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256, source: null };
  return { sha256, integrity };
}

/** The opened source in 1 MiB reads, for a streamed request body. */
async function* readChunks(source: OpenedSource): AsyncIterable<Buffer> {
  const { size } = source.fingerprint;
  for (let at = 0; at < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(1 << 20, size - at));
    const bytesRead = await source.read(buffer, at);
    if (bytesRead === 0) throw new TransferFailure(transferError('source-changed', `${source.source} became shorter while it was being sent.`, true));
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
