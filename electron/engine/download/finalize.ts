import type { Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';
import { type DigestAlgorithm, type DigestReference, type Integrity, PENDING_INTEGRITY, judgeIntegrity } from '../../common/integrity';
import { PlacementRefused, placeWithoutOverwrite } from '../fs/placement';
import { hashFile } from '../hash/hash-file';
import { type DownloadJob, RestartRequired } from './job';
import { algorithmsFor, plainFileSize } from './partial-check';
import { fileReference, personalReference, referenceOf } from '../references/reference';
import { PartialFile, openFd, replacedError } from './partial-file';
import { repairPieces } from './piece-repair';
import { isSmallBody } from './small-body';

type Digests = Partial<Record<DigestAlgorithm, string>>;

/**
 * The end of a download (rule 9): the verdict over the bytes on disk, then placement under
 * the final name, proven to be the file that was hashed: the partial's name must still
 * hold the very file this run has open (device and inode, by lstat, never through a link),
 * and so must the final name once linked. A placement a crash interrupted is finished
 * only after its bytes are proven again.
 */
export class Finalizer {
  private mismatchRestarted = false;

  constructor(private readonly job: DownloadJob) {}

  /** Every byte is here: the verdict, then the placement. True when the download reached its end. */
  async finish(wireHash: Hash | null = null): Promise<boolean> {
    const { job } = this;
    const part = (job.live ?? job.seg)!;
    this.takeLateChecksum();
    await job.settleReferences?.();
    let digests = await part.finalDigests();
    const { rec } = job;
    // A reference learnt while the body arrived (a checksum file) may use an algorithm not hashed on the way.
    const reference = referenceOf(rec);
    if (reference && !digests[reference.algorithm]) digests = { ...digests, ...(await hashFile(job.ctx.hashPool, part.path, [reference.algorithm])) };
    let integrity = this.judge(digests, wireHash);
    if (integrity.status === 'mismatch' && !this.mismatchRestarted && rec.pieces) {
      // A Metalink's pieces say which bytes are wrong: only those are fetched again.
      const repair = await repairPieces(job, part, new AbortController().signal);
      if (repair) {
        job.history('repair', { pieces: repair.pieces, from: repair.from, reason: 'the file did not match its Metalink hash; its piece hashes found the pieces to fetch again' });
        digests = await hashFile(job.ctx.hashPool, part.path, [...new Set([...algorithmsFor(rec), ...(reference ? [reference.algorithm] : [])])]);
        integrity = this.judge(digests, null);
      }
    }
    const sha256 = digests.sha256 ?? null;
    if (integrity.status === 'mismatch') return this.mismatch(part, integrity, sha256);
    part.assertOurs(() => new RestartRequired(`the partial file ${rec.name}.ferrypart was deleted before it could be placed`));
    // The verdict is on record before the file takes its name, so a crash from here on
    // finishes the placement at the next run (after proving the bytes again). It goes with
    // the batch of this turn, and the placement waits until it is written. The name the
    // file is about to take goes with it: when the link takes that name, as it nearly
    // always does, the partial's name can go without another write and another turn
    // (issue 13). A crash before the link finds the partial and places it again; the
    // recorded name alone completes nothing unless the file there proves to be these bytes.
    const total = rec.total ?? fs.fstatSync(part.fd).size;
    await job.saveInBatch({ sha256, integrity, total, offset: total, tailDigest: null, path: path.join(rec.dir, rec.name!) });
    return this.place(part, false);
  }

  /**
   * A run that stopped while placing a verified file (the verdict on record, the transfer
   * not completed) finishes the placement once the bytes prove to be the ones the verdict
   * speaks of. Anything else forgets the verdict and lets the resume rules decide (the
   * block digests are still on record, so a changed block is fetched again). False when
   * there is nothing to finish.
   */
  async resumePlacement(): Promise<boolean> {
    const { job } = this;
    const { rec } = job;
    const status = rec.integrity.status;
    if (rec.sha256 === null || (status !== 'verified' && status !== 'unverified') || rec.total === null) return false;
    this.takeLateChecksum();
    if (plainFileSize(job.partialPath()) === rec.total) {
      const held = new HeldFile(job.partialPath(), await openFd(job.partialPath(), 'existing'));
      try {
        if (await this.proves(held.path)) {
          held.assertOurs(() => new RestartRequired('the partial file was deleted before it could be placed'));
          return await this.place(held, true);
        }
      } finally {
        held.close();
      }
      job.history('repair', { reason: 'the partial changed after its verdict was recorded; checking it block by block' });
    } else if (rec.path && plainFileSize(rec.path) === rec.total && (await this.proves(rec.path))) {
      // The partial's name was already removed: the recorded name holds the proven file.
      return this.completePlaced();
    }
    job.save({ sha256: null, integrity: PENDING_INTEGRITY, path: null });
    return false;
  }

  /** The bytes at `file` are the ones the recorded verdict speaks of. */
  private async proves(file: string): Promise<boolean> {
    const { rec } = this.job;
    const digests = await hashFile(this.job.ctx.hashPool, file, algorithmsFor(rec));
    if (digests.sha256 !== rec.sha256) return false;
    // An encoded download's verdict was about the bytes on the wire (gone now); the file's
    // SHA-256, recorded with that verdict, is what proves these are the same bytes.
    if (rec.encoded && !fileReference(rec)) return true;
    const integrity = this.judge(digests, null);
    return integrity.status === rec.integrity.status || (integrity.status === 'verified' && rec.integrity.status === 'unverified');
  }

  private judge(digests: Digests, wireHash: Hash | null): Integrity {
    const { rec } = this.job;
    const server = rec.serverChecksum;
    if (!personalReference(rec) && server && rec.encoded && wireHash) {
      // The server's digest covers the encoded bytes it sent; those are what we check.
      return judgeIntegrity(server, { [server.algorithm]: wireHash.digest('hex') });
    }
    return judgeIntegrity(referenceOf(rec), digests);
  }

  /** A checksum given while the download ran (the same get again, the window) is the reference from here on. */
  private takeLateChecksum(): void {
    // The record was read when the run began; only a checksum written since can differ.
    if (!this.job.ctx.store.userChecksumWritten(this.job.rec.id)) return;
    const stored = this.job.ctx.store.userChecksum(this.job.rec.id);
    if (stored && !sameReference(stored, this.job.rec.userChecksum)) this.job.adopt({ userChecksum: stored });
  }

  private async mismatch(part: PartialFile, integrity: Integrity, sha256: string | null): Promise<boolean> {
    const { job } = this;
    const { ctx, rec } = job;
    const detail = { algorithm: integrity.algorithm, expected: integrity.expected, actual: integrity.actual, source: integrity.source };
    job.history('error', { code: 'integrity-mismatch', ...detail });
    if (!this.mismatchRestarted) {
      this.mismatchRestarted = true;
      throw new RestartRequired(`checksum mismatch (${integrity.source} ${integrity.algorithm} expected ${integrity.expected}, got ${integrity.actual})`, 'bad-bytes');
    }
    // Bytes we cannot prove are not kept; only our own file goes, never what replaced it.
    if (part.identity() === 'ours') fs.rmSync(part.path, { force: true });
    ctx.store.reset(rec.id, {}, ctx.clock.now());
    const twice = `twice: expected ${integrity.expected}, got ${integrity.actual}. Nothing was saved`;
    const from = integrity.source === 'sidecar' ? rec.sidecar?.found?.from : undefined;
    const error = transferError(
      'integrity-mismatch',
      from
        ? `The downloaded bytes do not match the ${integrity.algorithm} in the checksum file ${from}, ${twice}; that file may be stale or wrong (--no-sidecar downloads without it), or the bytes were changed on the way.`
        : `The downloaded bytes do not match the ${integrity.source} ${integrity.algorithm} checksum, ${twice}; check the checksum or the source.`,
      false,
    );
    job.save({ state: 'failed', integrity, sha256, error, completedAt: ctx.clock.now() });
    ctx.emit({ type: 'ended', id: rec.id, record: job.rec });
    return true;
  }

  /**
   * Gives the verified partial its final name (a hard link, so the bytes are under both
   * names for a moment), records that name (unless the verdict already did: the name it
   * was claimed as), removes the partial's name, then records the
   * transfer completed. A crash at any point between leaves either the partial to place
   * again or the recorded name holding the file: never a second copy, never litter.
   */
  private async place(part: PartialFile, proven: boolean): Promise<boolean> {
    const { job } = this;
    const { rec } = job;
    const small = isSmallBody(rec.total);
    let placed: { path: string; renamed: boolean };
    try {
      // `proven`: the caller proved the partial (assertOurs) with no await since.
      placed = await placeWithoutOverwrite(part.path, { dev: part.dev, ino: part.ino }, rec.dir, rec.name!, (target) => {
        if (target !== job.rec.path) job.save({ path: target });
      }, { partialProven: proven, onLoop: small });
    } catch (error) {
      if (!(error instanceof PlacementRefused)) throw error;
      part.assertOurs(() => new RestartRequired(`the partial file ${rec.name}.ferrypart was deleted before it could be placed`));
      throw new TransferFailure(replacedError(part.path, 'another file'));
    }
    const moved = placed.path !== job.rec.path;
    if (moved) await job.saveInBatch({ path: placed.path }); // on record before the partial's name goes
    // The partial's name goes only while it still names our file: proven by lstat just
    // before the link, and again after any wait (a small file linked on the loop under the
    // name on record has not waited: one lstat a file fewer). After a rename it is gone.
    if ((small && !moved && !placed.renamed) || part.identity() === 'ours') {
      try {
        if (small) fs.unlinkSync(part.path);
        else await fs.promises.unlink(part.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // gone already after a rename
      }
    }
    return this.completePlaced();
  }

  /**
   * The file has its final name and the record says which: the completion may wait for the
   * store's next batch. A crash that loses it finds the verdict and the path on record, and
   * resumePlacement proves the file there and completes it again (store/write-batch.ts).
   */
  private completePlaced(): boolean {
    const { job } = this;
    const { ctx, rec } = job;
    job.saveLater({ state: 'completed', error: null, completedAt: ctx.clock.now() }, true);
    job.history('complete', { path: job.rec.path, sha256: job.rec.sha256, integrity: job.rec.integrity });
    ctx.emit({ type: 'ended', id: rec.id, record: job.rec });
    return true;
  }
}

/** A partial opened only to prove and place it. */
class HeldFile extends PartialFile {
  close(): void {
    this.closeFd();
  }
}

function sameReference(a: DigestReference | null, b: DigestReference | null): boolean {
  return a?.algorithm === b?.algorithm && a?.hex === b?.hex;
}
