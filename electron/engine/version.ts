import * as fs from 'node:fs';
import * as path from 'node:path';

/** Set by the build of the stand-alone native host (build/native-host.mjs), which has no package.json beside it. */
declare const FERRY_BUNDLED_VERSION: string | undefined;

/** Ferry's version, from the package.json the build sits in. */
export function ferryVersion(): string {
  if (typeof FERRY_BUNDLED_VERSION === 'string') return FERRY_BUNDLED_VERSION;
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
