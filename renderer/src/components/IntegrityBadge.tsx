import type { TransferSummary } from '../../../electron/common/service';

/** The verdict at a glance: Verified, Unverified, Mismatch, or Checking while the bytes are hashed. */
export function IntegrityBadge({ transfer }: { transfer: Pick<TransferSummary, 'integrity' | 'checking' | 'state'> }) {
  const { integrity, checking } = transfer;
  if (integrity.status === 'verified') {
    return (
      <span className="badge badge-verified" title={`${integrity.algorithm} matches the ${integrity.source} checksum`}>
        ✓ Verified
      </span>
    );
  }
  if (integrity.status === 'mismatch') {
    return (
      <span className="badge badge-mismatch" title={`expected ${integrity.expected}, got ${integrity.actual}`}>
        ✕ Mismatch
      </span>
    );
  }
  if (integrity.status === 'unverified') {
    return (
      <span className="badge badge-unverified" title="No checksum to compare with; the SHA-256 is recorded">
        Unverified
      </span>
    );
  }
  if (checking) return <span className="badge badge-checking">Checking…</span>;
  return null;
}
