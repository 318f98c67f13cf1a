import type { Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { TransferFailure, transferError } from '../../common/errors';
import type { EngineContext } from '../context';
import { DiskError, describeDiskError } from '../core/failure';
import { type Fetched, release } from './fetcher';
import { RestartRequired } from './job';
import type { PartialWriter } from './partial-writer';
import { formatBytes } from '../../common/format';

/** Bytes that move per bandwidth-limit token request. */
const THROTTLE_SLICE = 16 << 10;

/**
 * Where a body's bytes must stop. A single stream must end exactly at the file's total
 * (more is a broken server); a segment stops early at its end and drops the rest.
 */
export interface Bound {
  end: () => number | null;
  stopsEarly: boolean;
}

export interface Pump {
  ctx: EngineContext;
  fetched: Fetched;
  writer: PartialWriter;
  /** The overlap (rule 6): compared with the first bytes and not written again. */
  held: Buffer | null;
  expectedLength: number | null;
  bound: Bound;
  /** The body is encoded and must be decoded here; `wireHash` sees the encoded bytes. */
  decode: { encoding: string; wireHash: Hash | null } | null;
  /** Where the files live, for sentences about the disk. */
  dir: string;
  /** Called as bytes are written (checkpoints run alongside). */
  onWritten: () => void;
  /** How the overlap check went, readable after the pump ends either way. */
  overlap: 'ok' | 'mismatch' | 'incomplete';
}

/**
 * Streams a body into the partial. Network time is watched; time spent waiting for the
 * disk, the hash threads or the bandwidth limit is Ferry's own and never counts as a stall.
 * The response is released (its watch stopped) however the pump ends.
 */
export async function pumpBody(p: Pump, signal: AbortSignal): Promise<void> {
  const { fetched, writer, held, bound, ctx } = p;
  const { watch, response } = fetched;
  let received = 0;
  let compared = 0;
  p.overlap = held && held.length > 0 ? 'incomplete' : 'ok';
  try {
    let body: AsyncIterable<Uint8Array> = response.body;
    if (p.decode) body = decoded(response.body, p.decode.encoding, p.decode.wireHash, () => watch.touch());
    chunks: for await (const chunk of body) {
      if (!p.decode) {
        watch.touch();
        received += chunk.length;
        // Rule 3: a range answer of other than END-START+1 bytes is discarded. A chunked 206
        // has no Content-Length to check it by, and ran on past its END (found in review).
        if (p.expectedLength !== null && received > p.expectedLength) throw new RestartRequired(`the server sent more bytes than its answer declared (${p.expectedLength})`);
      }
      // A socket read can hold hundreds of kilobytes; under a bandwidth limit it moves in
      // slices so the limit stays smooth and fair between transfers.
      const slice = ctx.bandwidth.limit === null ? chunk.length : THROTTLE_SLICE;
      for (let at = 0; at < chunk.length; at += slice) {
        let data = slice >= chunk.length ? chunk : chunk.subarray(at, at + slice);
        // Ferry waiting on itself (disk, hashing, the bandwidth limit) holds the watch's clock.
        const throttled = ctx.bandwidth.take(data.length, signal);
        if (throttled) {
          watch.hold();
          await throttled;
          watch.touch();
        }
        if (held && compared < held.length) {
          const n = Math.min(held.length - compared, data.length);
          if (Buffer.compare(held.subarray(compared, compared + n), data.subarray(0, n)) !== 0) {
            p.overlap = 'mismatch';
            throw new RestartRequired("overlap check failed: the server's bytes before the resume point differ from ours");
          }
          compared += n;
          if (compared === held.length) p.overlap = 'ok';
          data = data.subarray(n);
        }
        if (data.length === 0) continue;
        const end = bound.end();
        if (end !== null && writer.position + data.length >= end) {
          if (writer.position + data.length > end && !bound.stopsEarly) throw new RestartRequired('the server sent more bytes than the file has');
          // A segment that reached its end (perhaps moved closer by a split) is done.
          watch.hold();
          await writer.write(data.subarray(0, end - writer.position));
          watch.touch();
          if (bound.stopsEarly) break chunks;
          continue;
        }
        watch.hold();
        await writer.write(data);
        watch.touch();
        p.onWritten();
      }
    }
  } catch (error) {
    if (error instanceof RestartRequired) throw error;
    if (error instanceof DiskError) throw new TransferFailure(describeDiskError(error.code, error.message, p));
    throw watch.failure(error, fetched.url, signal);
  } finally {
    release(fetched);
  }
  const reachedEnd = bound.stopsEarly && writer.position >= (bound.end() ?? Infinity);
  if (!p.decode && p.expectedLength !== null && received < p.expectedLength && !reachedEnd) {
    throw new TransferFailure(transferError('connection-reset', `The connection closed early (${formatBytes(received)} of ${formatBytes(p.expectedLength)}).`, true));
  }
  if (held && compared < held.length) throw new RestartRequired('the body ended inside the overlap');
  await writer.drain();
}

async function* decoded(body: AsyncIterable<Uint8Array>, encoding: string, wireHash: Hash | null, touch: () => void): AsyncIterable<Uint8Array> {
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) throw new TransferFailure(transferError('server-broken', `The server used a content encoding Ferry cannot decode (${encoding}).`, false));
  const source = Readable.from(
    (async function* () {
      for await (const chunk of body) {
        touch();
        // Encoded responses are rare and never resumed; hashing their wire bytes here
        // costs microseconds per chunk and keeps the worker protocol simple.
        wireHash?.update(chunk);
        yield chunk;
      }
    })(),
  );
  // pipe() does not forward a source error; without this a broken connection would be an
  // unhandled 'error' event instead of a failure the retry loop sees.
  source.on('error', (error) => decoder.destroy(error));
  yield* source.pipe(decoder) as AsyncIterable<Uint8Array>;
}

/** Reads a small body whole (a block being repaired), exactly `length` bytes. */
export async function collectBody(fetched: Fetched, length: number, signal: AbortSignal): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of fetched.response.body) {
      fetched.watch.touch();
      parts.push(chunk);
      received += chunk.length;
      if (received > length) throw new RestartRequired('the server sent more bytes than the range asked for');
    }
  } catch (error) {
    if (error instanceof RestartRequired) throw error;
    throw fetched.watch.failure(error, fetched.url, signal);
  } finally {
    release(fetched);
  }
  if (received !== length) throw new TransferFailure(transferError('connection-reset', 'The connection closed while repairing a block.', true));
  return Buffer.concat(parts);
}
