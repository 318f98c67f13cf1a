import type { DigestReference } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';

type Held = Pick<TransferRecord, 'userChecksum' | 'serverChecksum' | 'sidecar' | 'encoded'>;

/** The digest a checksum file gave the download, as a reference; null before one is found. */
export function sidecarReference(rec: Pick<TransferRecord, 'sidecar'>): DigestReference | null {
  const found = rec.sidecar?.found;
  return found ? { algorithm: found.algorithm, hex: found.hex, source: 'sidecar' } : null;
}

/**
 * The reference a download's bytes are judged by, first that applies:
 * the person's checksum (--checksum); the checksum file the person named (--checksum-file);
 * the server's digest header (not for an encoded body, whose digest is checked on the
 * wire); a checksum file found beside the download (searched only when none of these is).
 */
export function referenceOf(rec: Held): DigestReference | null {
  return personalReference(rec) ?? (rec.encoded ? null : rec.serverChecksum) ?? sidecarReference(rec);
}

/** The reference a person gave or named: it outranks whatever the server says. */
export function personalReference(rec: Held): DigestReference | null {
  return rec.userChecksum ?? (rec.sidecar?.named ? sidecarReference(rec) : null);
}

/** A reference that speaks of the file's own bytes (the person's, or a checksum file), not of the bytes on the wire. */
export function fileReference(rec: Held): DigestReference | null {
  return rec.userChecksum ?? sidecarReference(rec);
}
