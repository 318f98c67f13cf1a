import type { SidecarState } from '../../common/transfer';

/** What a person says about checksum files when adding a download (engine.ts AddDownload). */
export interface SidecarChoice {
  /** A checksum file for it (--checksum-file): a URL, or an absolute path on this machine. */
  checksumFile?: string | null;
  /** False: never search its origin for a checksum file (--no-sidecar); left out, the setting decides. */
  sidecar?: boolean;
}

/**
 * A download's checksum-file state after a person adds it (again): --checksum-file names the
 * one to use (a different one forgets what the old one gave), --no-sidecar turns the search
 * off (and forgets what it found). Flags left out change nothing: `existing` comes back as it is (null for a new
 * download that searches as the settings say).
 */
export function sidecarStateFor(existing: SidecarState | null, input: SidecarChoice): SidecarState | null {
  const named = input.checksumFile ?? null;
  const state: SidecarState = existing ?? { search: true, named: null, found: null };
  const renamed = named !== null && named !== state.named;
  const silenced = input.sidecar === false && state.search;
  if (!renamed && !silenced) return existing;
  if (renamed) return { search: state.search && input.sidecar !== false, named, found: null };
  // What a search found goes too: after "the checksum file may be wrong", --no-sidecar is how to do without it.
  return { search: false, named: state.named, found: state.named ? state.found : null };
}
