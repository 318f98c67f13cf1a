/**
 * Where a site may have put the checksum of a download (DESIGN.md section 10), all on the
 * download URL's own origin: the lists in its folder, then the files beside it.
 *
 * SHASUMS256.txt is not in DESIGN's list; it is looked for too because it is what
 * nodejs.org publishes in every release folder (the GNU form, like SHA256SUMS), and a
 * folder's lists are asked for once per run however many files come from it.
 */
export const DIRECTORY_SIDECARS = ['SHA256SUMS', 'SHA512SUMS', 'sha256sums.txt', 'SHASUMS256.txt', 'CHECKSUMS'] as const;
export const FILE_SIDECARS = ['.sha256', '.sha512', '.md5'] as const;

export interface SidecarCandidates {
  /** The file's name as its URL gives it (decoded): what a checksum line must name. */
  name: string;
  /** The lists in the file's folder, in the order their answers are preferred. */
  directory: string[];
  /** `<url>.sha256` and the like, in the order their answers are preferred. */
  file: string[];
}

/**
 * The candidates for a download at `fileUrl`. Its query and fragment stay off them: a
 * signed link's signature covers the file, not a name made from it. Null when the path
 * ends without a file name (nothing to match a line against).
 */
export function sidecarCandidates(fileUrl: string): SidecarCandidates | null {
  let url: URL;
  try {
    url = new URL(fileUrl);
  } catch {
    return null;
  }
  const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  if (!last) return null;
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    return null;
  }
  const base = `${url.origin}${url.pathname}`;
  const folder = base.slice(0, base.length - last.length);
  return { name, directory: DIRECTORY_SIDECARS.map((n) => folder + n), file: FILE_SIDECARS.map((ext) => base + ext) };
}
