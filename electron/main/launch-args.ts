import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LaunchRequest {
  /** http(s) links to download, each once. */
  urls: string[];
  /** Files and folders to upload (absolute), each once. */
  paths: string[];
  /** Arguments that were neither, to report. */
  ignored: string[];
}

export const EMPTY_LAUNCH: Readonly<LaunchRequest> = Object.freeze({ urls: [], paths: [], ignored: [] });

export interface LaunchContext {
  /** The folder the launch was made from; relative paths are resolved against it. */
  cwd: string;
  /**
   * Started as `electron <app> …` (process.defaultApp, development and tests): the first
   * plain argument is the app, not a request. Counting it by position instead broke when
   * something put flags before it (Playwright launches `electron --inspect=0 … <app>`), and
   * the app's own folder was taken for a folder to upload.
   */
  appPathFirst: boolean;
  /** Whether a path exists (fs by default; tests give their own). */
  exists?: (file: string) => boolean;
}

/**
 * What a launch asks for: `ferry-desktop https://... ~/photos` (or a second launch while
 * Ferry runs) hands its links and paths to the running app. `argv` is the whole command line,
 * the executable first. Flags (Chromium's and Electron's own, macOS's -psn_…) are skipped,
 * up to a `--`, after which everything is plain. A file:// URL (what file managers pass for
 * %U) is a path.
 */
export function parseLaunchArgs(argv: readonly string[], context: LaunchContext): LaunchRequest {
  const exists = context.exists ?? fs.existsSync;
  const request: LaunchRequest = { urls: [], paths: [], ignored: [] };
  const addOnce = (list: string[], item: string): void => {
    if (!list.includes(item)) list.push(item);
  };
  let flagsEnded = false;
  let appPathPending = context.appPathFirst;
  for (const arg of argv.slice(1)) {
    if (!flagsEnded && arg === '--') {
      flagsEnded = true;
      continue;
    }
    if (!flagsEnded && arg.startsWith('-')) continue;
    if (appPathPending) {
      appPathPending = false;
      continue;
    }
    if (/^https?:\/\//i.test(arg)) {
      const url = parseUrl(arg);
      if (url) addOnce(request.urls, url.href);
      else addOnce(request.ignored, arg);
      continue;
    }
    const file = /^file:/i.test(arg) ? filePath(arg) : path.resolve(context.cwd, arg);
    if (file !== null && exists(file)) addOnce(request.paths, file);
    else addOnce(request.ignored, arg);
  }
  return request;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The local path of a file:// URL; null for one on another host or one that is not a URL. */
function filePath(text: string): string | null {
  try {
    return fileURLToPath(text);
  } catch {
    return null;
  }
}
