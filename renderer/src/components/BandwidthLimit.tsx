import { formatSpeed } from '../../../electron/common/format';
import { useTransfers } from '../context';

/** An active bandwidth limit, beside the total speed it caps, so a slow total is no mystery. */
export function BandwidthLimit() {
  const limit = useTransfers((s) => s.settings?.bandwidth ?? null);
  if (!limit) return null;
  return (
    <span className="limit" title="All transfers together are held to this speed; change it in Settings">
      Limited to {formatSpeed(limit)}
    </span>
  );
}
