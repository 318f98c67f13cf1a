/**
 * Where a download handed over by the browser came from (DESIGN.md section 11), as its
 * history keeps it: a 'captured' entry that the window's details show.
 */

/** The page the download was started from, and where the browser's own request ended. */
export interface CapturedFrom {
  page: string | null;
  finalUrl: string | null;
}

/**
 * What a capture's history entry keeps of the browser's URLs: origin and path. A query or a
 * fragment may carry a session token and user:pass@ a password; none of them is needed to
 * tell where a download came from.
 */
export function capturedDetail(captured: CapturedFrom): Record<string, unknown> {
  const bare = (url: string | null): string | null => {
    if (url === null) return null;
    try {
      const u = new URL(url);
      return `${u.origin}${u.pathname}`;
    } catch {
      return null;
    }
  };
  return { from: 'browser', page: bare(captured.page), finalUrl: bare(captured.finalUrl) };
}
