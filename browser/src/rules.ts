/**
 * Which downloads Ferry's extension takes from the browser: pure decisions over what the
 * browser says about a download and the person's rules, so they are tested as data.
 */

export type BypassKey = 'alt' | 'shift' | 'ctrl' | 'meta';

export interface Rules {
  /** The toolbar toggle: off, the browser keeps every download. */
  enabled: boolean;
  /** Smaller downloads (when the browser knows the size) stay in the browser. 0: no minimum. */
  minSizeBytes: number;
  /** File extensions to capture (without the dot, lower case); empty: every type. */
  fileTypes: string[];
  /** Sites (a host and its subdomains) always captured, whatever the size and type. */
  alwaysSites: string[];
  /** Sites never captured. */
  neverSites: string[];
  /** Held while clicking a link: the browser keeps that download. */
  bypassKey: BypassKey;
}

export const DEFAULT_RULES: Rules = { enabled: true, minSizeBytes: 0, fileTypes: [], alwaysSites: [], neverSites: [], bypassKey: 'alt' };

const words = (value: unknown, clean: (s: string) => string): string[] =>
  Array.isArray(value) ? [...new Set(value.filter((v): v is string => typeof v === 'string').map(clean).filter((v) => v !== ''))].slice(0, 500) : [];

/** Rules as stored (anything: an older version, a hand edit), made whole. */
export function readRules(stored: unknown): Rules {
  const s = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const key = s.bypassKey;
  return {
    enabled: typeof s.enabled === 'boolean' ? s.enabled : DEFAULT_RULES.enabled,
    minSizeBytes: typeof s.minSizeBytes === 'number' && Number.isFinite(s.minSizeBytes) && s.minSizeBytes > 0 ? Math.floor(s.minSizeBytes) : 0,
    fileTypes: words(s.fileTypes, (t) => t.trim().toLowerCase().replace(/^\*?\./, '')),
    alwaysSites: words(s.alwaysSites, siteOf),
    neverSites: words(s.neverSites, siteOf),
    bypassKey: key === 'alt' || key === 'shift' || key === 'ctrl' || key === 'meta' ? key : DEFAULT_RULES.bypassKey,
  };
}

/** A site as a person writes it ("example.com", "https://www.example.com/x", "*.example.com") as a bare host. */
export function siteOf(text: string): string {
  let t = text.trim().toLowerCase().replace(/^\*\./, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(t)) {
    try {
      t = new URL(t).hostname;
    } catch {
      return '';
    }
  }
  return t.split('/')[0]!.replace(/:\d+$/, '');
}

/** Whether `host` is `site` or one of its subdomains. */
export function onSite(host: string, site: string): boolean {
  return host === site || host.endsWith(`.${site}`);
}

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** A file's extension from its name, else from the URL's path. */
export function extensionOf(filename: string, url: string): string | null {
  const fromName = /\.([a-z0-9]{1,10})$/i.exec(filename.split(/[\\/]/).pop() ?? '');
  if (fromName) return fromName[1]!.toLowerCase();
  try {
    const last = new URL(url).pathname.split('/').pop() ?? '';
    const m = /\.([a-z0-9]{1,10})$/i.exec(last);
    return m ? m[1]!.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** What the browser says about a download. */
export interface SeenDownload {
  url: string;
  finalUrl?: string;
  referrer?: string;
  filename: string;
  incognito: boolean;
  /** -1 or 0 when unknown. */
  totalBytes: number;
}

export type Decision = { capture: true } | { capture: false; reason: string };

/** Whether Ferry takes this download; `bypass`: the person held the bypass key when clicking. */
export function decide(download: SeenDownload, rules: Rules, bypass: boolean): Decision {
  if (!rules.enabled) return { capture: false, reason: 'capture is off' };
  if (bypass) return { capture: false, reason: 'the bypass key was held' };
  if (download.incognito) return { capture: false, reason: 'a private window keeps its downloads' };
  const url = download.finalUrl || download.url;
  if (!/^https?:/i.test(download.url) || !/^https?:/i.test(url)) return { capture: false, reason: 'not an http(s) download' };
  const hosts = [hostOf(download.url), hostOf(url), hostOf(download.referrer)].filter((h): h is string => h !== null);
  if (rules.neverSites.some((site) => hosts.some((h) => onSite(h, site)))) return { capture: false, reason: 'a site never captured' };
  if (rules.alwaysSites.some((site) => hosts.some((h) => onSite(h, site)))) return { capture: true };
  if (rules.minSizeBytes > 0 && download.totalBytes > 0 && download.totalBytes < rules.minSizeBytes) return { capture: false, reason: 'smaller than the minimum size' };
  if (rules.fileTypes.length > 0) {
    const ext = extensionOf(download.filename, url);
    if (ext === null || !rules.fileTypes.includes(ext)) return { capture: false, reason: 'not one of the file types captured' };
  }
  return { capture: true };
}

/** The Cookie header a browser would send, from its cookies for the URL. */
export function cookieHeader(cookies: ReadonlyArray<{ name: string; value: string }>): string {
  return cookies.map((c) => (c.name === '' ? c.value : `${c.name}=${c.value}`)).join('; ');
}
