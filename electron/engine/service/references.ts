import * as path from 'node:path';
import { referenceMeaning } from '../../common/integrity';
import { type Result, err, ok } from '../../common/result';
import type { ReferenceOrigin, ServiceError } from '../../common/service';
import type { TransferRecord } from '../../common/transfer';
import type { SidecarChoice } from '../references/sidecar-state';
import { CHECKSUM_FILE_USERINFO, hasUserinfo } from '../../common/integrity';

/** The service's side of reference digests (DESIGN.md section 10): what the window may name, and what the details say. */

/** Where a transfer's reference came from: the verdict's source, and for a checksum file its URL or path. */
export function referenceOrigin(record: TransferRecord): ReferenceOrigin | null {
  const source = record.integrity.source ?? (record.sidecar?.found ? 'sidecar' : null);
  if (!source) return null;
  return { source, from: source === 'sidecar' ? (record.sidecar?.found?.from ?? null) : null, meaning: referenceMeaning(source) };
}

/** What addDownloads says about checksum files, checked: the engine's SidecarChoice. */
export function sidecarChoice(a: { checksumFile: string | null; sidecar: boolean | null }, withChecksum: boolean): Result<SidecarChoice, ServiceError> {
  const checksumFile = checkChecksumFile(a.checksumFile, withChecksum);
  return checksumFile.ok ? ok({ checksumFile: checksumFile.value, ...(a.sidecar === false ? { sidecar: false } : {}) }) : checksumFile;
}

/** A checksum file as the window names it: a web address, or a full path where the engine runs; never with a checksum too. */
function checkChecksumFile(given: string | null, withChecksum: boolean): Result<string | null, ServiceError> {
  if (given === null) return ok(null);
  if (withChecksum) return invalid('give either a checksum or a checksum file, not both');
  if (/^https?:\/\//i.test(given)) {
    if (hasUserinfo(given)) return invalid(CHECKSUM_FILE_USERINFO);
    try {
      return ok(new URL(given).href);
    } catch {
      return invalid(`"${given}" is not a web address; give one such as https://example.com/SHA256SUMS`);
    }
  }
  if (!path.isAbsolute(given)) return invalid(`"${given}" is neither a web address nor a full path to a checksum file`);
  return ok(path.resolve(given));
}

function invalid(message: string): Result<never, ServiceError> {
  return err({ code: 'invalid-argument', field: 'checksumFile', message });
}
