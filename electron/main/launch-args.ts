import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LaunchRequest {
  /** http(s) links to download. */
  urls: string[];
  /** Files and folders to upload. */
  paths: string[];
  /** Arguments that were neither, to report. */
  ignored: string[];
}

/**
 * What a launch asks for: `ferry-desktop https://... ~/photos` (or a second launch while
 * Ferry runs) hands its links and paths to the running app. Flags (Chromium's and
 * Electron's own) and the executable and app path are skipped.
 */
export function parseLaunchArgs(argv: readonly string[], workingDirectory: string, skip: number): LaunchRequest {
  const request: LaunchRequest = { urls: [], paths: [], ignored: [] };
  for (const arg of argv.slice(skip)) {
    if (arg.startsWith('-')) continue;
    if (/^https?:\/\//i.test(arg)) {
      try {
        request.urls.push(new URL(arg).href);
      } catch {
        request.ignored.push(arg);
      }
      continue;
    }
    const resolved = path.resolve(workingDirectory, arg);
    if (fs.existsSync(resolved)) request.paths.push(resolved);
    else request.ignored.push(arg);
  }
  return request;
}
