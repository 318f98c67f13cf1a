import { createHash } from 'node:crypto';
import { TransferFailure, transferError } from '../../common/errors';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { statusFailure } from '../core/failure';
import type { HttpResponse } from '../http/transport';
import { type TusCapabilities, encodeMetadata, expired, integerHeader, readCapabilities } from './tus';
import type { UploadHttp } from './upload-http';
import { formatExactBytes } from '../../common/format';

/**
 * The tus 1.0 protocol's requests and what their answers mean (tus.io/protocols/
 * resumable-upload): discovery, creation, the offset, a PATCH's answer, termination. They
 * write nothing: what goes on record is the upload task's to decide.
 */

/** The upload on the server is gone (404, 410, expired): a new one starts from 0. */
export class UploadGone extends Error {}

/** Discoveries in flight, per engine (its map of known servers) and endpoint. */
const asking = new WeakMap<EngineContext['tusServers'], Map<string, Promise<TusCapabilities>>>();

/**
 * OPTIONS: which tus version, extensions, size limit and checksums the server has. Asked
 * once per endpoint while the engine runs: a folder of thousands of files is one server,
 * and the uploads that start together wait for the one answer (issue 13: sixteen OPTIONS a
 * run were one per upload slot). One whose request fails lets each waiter ask for itself.
 */
export async function discover(http: UploadHttp, ctx: EngineContext, endpoint: string, signal: AbortSignal): Promise<TusCapabilities> {
  const known = ctx.tusServers.get(endpoint);
  if (known) return known;
  let inFlight = asking.get(ctx.tusServers);
  if (!inFlight) asking.set(ctx.tusServers, (inFlight = new Map()));
  const pending = inFlight.get(endpoint);
  if (pending) {
    const answer = await untilAborted(pending.catch(() => null), signal);
    if (answer) return answer;
  }
  const asked = askServer(http, endpoint, signal);
  inFlight.set(endpoint, asked);
  try {
    const caps = await asked;
    ctx.tusServers.set(endpoint, caps);
    return caps;
  } finally {
    if (inFlight.get(endpoint) === asked) inFlight.delete(endpoint);
  }
}

/** `promise`, or this upload's stop if that comes first (a waiter stops as promptly as the asker). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

async function askServer(http: UploadHttp, endpoint: string, signal: AbortSignal): Promise<TusCapabilities> {
  const response = await http.request({ method: 'OPTIONS', url: new URL(endpoint), headers: {} }, signal);
  response.discard();
  if (response.status >= 400) throw statusFailure(response, endpoint);
  const caps = readCapabilities(response.headers);
  if (!caps) {
    throw new TransferFailure(
      transferError('server-broken', `${new URL(endpoint).host} does not answer as a tus 1.0 server (no Tus-Version); check the URL, or use --protocol put.`, false, response.status),
    );
  }
  if (!caps.extensions.has('creation')) {
    throw new TransferFailure(transferError('server-broken', `${new URL(endpoint).host} does not let clients create uploads (no tus creation extension).`, false));
  }
  return caps;
}

export function creationHeaders(rec: TransferRecord, size: number): Record<string, string> {
  const metadata = encodeMetadata({ filename: rec.name, relativePath: rec.relativePath, filetype: 'application/octet-stream' });
  return metadata ? { 'upload-length': String(size), 'upload-metadata': metadata } : { 'upload-length': String(size) };
}

/** Headers for a request carrying upload bytes (PATCH, or POST with creation-with-upload). */
export function chunkHeaders(chunk: Buffer, caps: TusCapabilities | null): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/offset+octet-stream', 'content-length': String(chunk.length) };
  const checksum = caps?.checksum;
  if (checksum) headers['upload-checksum'] = `${checksum.tus} ${createHash(checksum.node).update(chunk).digest('base64')}`;
  return headers;
}

/** Reads a creation response: the upload's URL, and the offset the server holds (at most `sent`). */
export function readCreated(response: HttpResponse, endpoint: string, sent: number): { uploadUrl: string; offset: number } {
  response.discard();
  const location = response.headers.get('location');
  if ((response.status !== 201 && response.status !== 200) || !location) {
    if (response.status >= 400) throw statusFailure(response, endpoint);
    throw new TransferFailure(transferError('server-broken', `The server answered the upload's creation with ${response.status} and no Location.`, true, response.status));
  }
  return { uploadUrl: new URL(location, endpoint).href, offset: Math.min(integerHeader(response.headers, 'upload-offset') ?? 0, sent) };
}

/** HEAD: how much of the upload the server holds, never more than Ferry sent (`sentUpTo`). */
export async function serverOffset(http: UploadHttp, uploadUrl: string, sentUpTo: number, signal: AbortSignal): Promise<number> {
  const response = await http.request({ method: 'HEAD', url: new URL(uploadUrl), headers: {} }, signal);
  response.discard();
  if ([403, 404, 410].includes(response.status)) throw new UploadGone(`the server no longer has the upload (${response.status})`);
  if (expired(response.headers, Date.now())) throw new UploadGone('the upload expired on the server');
  if (response.status !== 200 && response.status !== 204) throw statusFailure(response, uploadUrl);
  const offset = integerHeader(response.headers, 'upload-offset');
  if (offset === null) throw new TransferFailure(transferError('server-broken', 'The server answered HEAD without an Upload-Offset.', true));
  if (offset > sentUpTo) {
    // Never guessed around: bytes Ferry did not send are in this upload.
    throw new TransferFailure(
      transferError(
        'server-broken',
        `The server holds ${formatExactBytes(offset)} of this upload but Ferry sent at most ${formatExactBytes(sentUpTo)}; something else wrote to it. Remove this upload and start it again.`,
        false,
      ),
    );
  }
  return offset;
}

/**
 * What a PATCH's answer means for the chunk [offset, offset + length): the offset the server
 * now confirms, or 'damaged' when its checksum check rejected the chunk (460).
 */
export function patchOutcome(response: HttpResponse, uploadUrl: string, offset: number, length: number): number | 'damaged' {
  if (response.status === 460) return 'damaged';
  if (response.status === 409) {
    // The server's offset is not the one this chunk was sent for. A retryable failure: the
    // attempt loop waits (backoff) and the next attempt asks with HEAD; a server that
    // answers 409 to everything meets the loop's cap, not a tight loop.
    throw new TransferFailure(
      transferError(
        'http-status',
        `HTTP 409 from ${new URL(uploadUrl).host}: the server refused the chunk at offset ${offset} because its offset for this upload differs (another client writing to it, or an answer lost on the way).`,
        true,
        409,
      ),
    );
  }
  if ([403, 404, 410].includes(response.status)) throw new UploadGone(`the server no longer has the upload (${response.status})`);
  if (response.status !== 204 && response.status !== 200) throw statusFailure(response, uploadUrl);
  const confirmed = integerHeader(response.headers, 'upload-offset');
  if (confirmed === null || confirmed < offset || confirmed > offset + length) {
    throw new TransferFailure(transferError('server-broken', `The server confirmed offset ${confirmed ?? 'none'} after a chunk from ${offset} to ${offset + length}.`, true));
  }
  return confirmed;
}

/** DELETE (tus termination) of an upload nothing will continue; true when the server removed it. */
export async function terminate(http: UploadHttp, caps: TusCapabilities | null, uploadUrl: string, signal: AbortSignal): Promise<boolean> {
  if (!caps?.extensions.has('termination')) return false;
  try {
    const response = await http.request({ method: 'DELETE', url: new URL(uploadUrl), headers: {} }, signal);
    return response.status === 204 || response.status === 200 || response.status === 404 || response.status === 410;
  } catch {
    return false; // the server will expire it; nothing here depends on it
  }
}
