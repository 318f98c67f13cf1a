/**
 * `https://user:pass@host/file` as curl reads it: the user information is a credential for
 * that URL's origin, sent as `Authorization: Basic`, never part of the address Ferry keeps,
 * shows or compares. The URL is kept without any user information (the user name goes too:
 * it is half of the credential, and a URL without it names the same resource).
 */
export interface SplitUrl {
  /** The URL without user information; the input unchanged when it had none. */
  url: string;
  /** `Basic base64(user:password)`, or null when the URL carried no user information. */
  authorization: string | null;
}

export function splitCredentials(text: string): SplitUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text, authorization: null };
  }
  if (!url.username && !url.password) return { url: text, authorization: null };
  // As curl does: percent-escapes are decoded (%40 is an @), and a user without a password
  // sends an empty one.
  const credentials = `${decode(url.username)}:${decode(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

/** The URL with its user information masked, for text that may reach a message or a log. */
export function redactCredentials(text: string): string {
  return text.replace(/^([^:/?#\s]+:\/\/)[^/?#\s]*@/, '$1***@');
}

/**
 * Every URL in `text` without its user information: for what an older Ferry stored (a URL
 * with user:pass@ was kept as typed, and its password shown).
 */
export function withoutUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"]*@/gi, '$1');
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a stray % that escapes nothing is sent as typed
  }
}
