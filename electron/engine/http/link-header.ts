/**
 * RFC 6249 (Metalink/HTTP): a server names other places with the same file in `Link`
 * headers, `<URL>; rel=duplicate; pri=N`. Ferry takes them as mirrors.
 */

const MAX_DUPLICATES = 16;

/** The http(s) URLs a Link header marks rel=duplicate, by `pri` (lowest first), resolved against `base`. */
export function duplicateLinks(value: string | undefined, base: string): string[] {
  if (!value) return [];
  const found: Array<{ url: string; pri: number; order: number }> = [];
  // Links are comma-separated; a URL is in <…>, so a comma inside it does not split.
  for (const [order, m] of [...value.matchAll(/<([^>]*)>([^,<]*)/g)].entries()) {
    const params = m[2]!;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rel = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rel.includes('duplicate')) continue;
    let url: URL;
    try {
      url = new URL(m[1]!.trim(), base);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (url.username || url.password) continue;
    const pri = Number(/;\s*pri\s*=\s*"?(\d+)/i.exec(params)?.[1] ?? 999999);
    found.push({ url: url.href, pri, order });
  }
  const urls = found.sort((x, y) => x.pri - y.pri || x.order - y.order).map((f) => f.url);
  return [...new Set(urls)].slice(0, MAX_DUPLICATES);
}
