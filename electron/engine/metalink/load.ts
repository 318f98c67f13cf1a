/**
 * Where `ferry get` finds a Metalink: a `.meta4` or `.metalink` link (fetched, 1 MiB at
 * most, within a short time) or such a file on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MetalinkFile, METALINK_MAX_BYTES, MetalinkError, parseMetalink } from './parse';
import { hasUserinfo } from '../../common/integrity';
import { redactCredentials } from '../http/url-credentials';

const EXTENSIONS = /\.(meta4|metalink)$/i;
const FETCH_TIMEOUT_MS = 30_000;

/** Whether `given` (a URL, or a path on disk) names a Metalink by its extension. */
export function isMetalinkSource(given: string): boolean {
  try {
    const url = new URL(given);
    if (url.protocol === 'http:' || url.protocol === 'https:') return EXTENSIONS.test(url.pathname);
  } catch {
    // not a URL: a path
  }
  return EXTENSIONS.test(given) && fs.existsSync(given);
}

/** Reads and parses the Metalink `given` names; a MetalinkError says what went wrong. */
export async function loadMetalink(given: string): Promise<MetalinkFile[]> {
  if (!/^https?:\/\//i.test(given)) {
    const file = path.resolve(given);
    const size = fs.statSync(file).size;
    if (size > METALINK_MAX_BYTES) throw new MetalinkError(`${file} is larger than 1 MiB; it is not a Metalink Ferry reads`);
    return parseMetalink(fs.readFileSync(file, 'utf8'));
  }
  if (hasUserinfo(given)) {
    // fetch() refuses such a URL, and its message would repeat the password (found in review).
    throw new MetalinkError(`the Metalink at ${redactCredentials(given)} has a user name or password in its address; Ferry does not fetch a Metalink with them: download it and give its path`);
  }
  let response: Response;
  try {
    response = await fetch(given, { redirect: 'follow', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/metalink4+xml, application/xml;q=0.5' } });
  } catch (error) {
    throw new MetalinkError(`the Metalink at ${given} could not be fetched (${(error as Error).message})`);
  }
  if (!response.ok) throw new MetalinkError(`the Metalink at ${given} answered HTTP ${response.status}`);
  // Read with a cap, never the whole of whatever the server sends.
  const reader = response.body!.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > METALINK_MAX_BYTES) {
      await reader.cancel();
      throw new MetalinkError(`the Metalink at ${given} is larger than 1 MiB`);
    }
    parts.push(value);
  }
  return parseMetalink(Buffer.concat(parts).toString('utf8'));
}
