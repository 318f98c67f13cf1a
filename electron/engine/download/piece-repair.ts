/**
 * A whole-file mismatch on a download that has a Metalink's piece hashes: the pieces tell
 * which bytes are wrong, and only those are fetched again, from the download's other links
 * first (the one that served them last), each piece proven by its own hash before it is
 * written in place. The caller hashes the whole file again for the verdict.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { DownloadJob } from './job';
import { rangeProbe } from './relink';

export interface PieceRepair {
  /** The pieces fetched again, by index. */
  pieces: number[];
  /** The link each came from. */
  from: string[];
}

/** Null when the pieces cannot help: none, the wrong count, every piece bad or none bad, or no link with a good copy. */
export async function repairPieces(job: DownloadJob, file: { path: string; fd: number }, signal: AbortSignal): Promise<PieceRepair | null> {
  const { rec, ctx } = job;
  const pieces = rec.pieces;
  if (!pieces || rec.total === null) return null;
  const count = Math.ceil(rec.total / pieces.length);
  if (pieces.hashes.length !== count) return null;
  const lengthOf = (i: number): number => Math.min(pieces.length, rec.total! - i * pieces.length);
  const digest = (bytes: Buffer): string => createHash(pieces.algorithm).update(bytes).digest('hex');

  const bad: number[] = [];
  const buffer = Buffer.alloc(Math.min(pieces.length, 16 << 20));
  for (let i = 0; i < count; i++) {
    const hash = createHash(pieces.algorithm);
    for (let at = 0; at < lengthOf(i); ) {
      const want = Math.min(buffer.length, lengthOf(i) - at);
      const bytesRead = await new Promise<number>((resolve, reject) => fs.read(file.fd, buffer, 0, want, i * pieces.length + at, (error, n) => (error ? reject(error) : resolve(n))));
      if (bytesRead === 0) return null;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    if (hash.digest('hex') !== pieces.hashes[i]) bad.push(i);
  }
  if (bad.length === 0 || bad.length === count) return null;

  // The other links first; the one that served the bad bytes last.
  const links = [...rec.mirrors, rec.url];
  const from: string[] = [];
  for (const index of bad) {
    let good: Buffer | null = null;
    for (const link of links) {
      const start = index * pieces.length;
      const answer = await rangeProbe(ctx, rec, link, file.path, signal)(start, start + lengthOf(index) - 1).catch(() => 'unreachable');
      if (typeof answer === 'string' || digest(answer.bytes) !== pieces.hashes[index]) continue;
      good = answer.bytes;
      from.push(link);
      break;
    }
    if (!good) return null;
    let written = 0;
    while (written < good.length) written += fs.writeSync(file.fd, good, written, good.length - written, index * pieces.length + written);
  }
  fs.fsyncSync(file.fd);
  return { pieces: bad, from };
}
