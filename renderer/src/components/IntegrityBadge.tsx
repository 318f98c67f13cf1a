import type { TransferSummary } from '../../../electron/common/service';

/**
 * The verdict at a glance: Verified (a reference matched), SHA-256 recorded (no reference to
 * compare with: the truth, without the alarm of "Unverified"), Mismatch, or Checking.
 */
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
      <span className="badge badge-unverified" title="No checksum was given or found to compare with, so nothing proves the file is the one its publisher meant. Its SHA-256 is recorded (in Details) for you to compare.">
        SHA-256 recorded
      </span>
    );
  }
  if (checking) return <span className="badge badge-checking">Checking…</span>;
  return null;
}
