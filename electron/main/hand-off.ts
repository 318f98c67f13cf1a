/**
 * A launch's links and files, handed to the Ferry that runs: the first launch's own, or a
 * second launch's (Ferry is single-instance; the second one only passes its request on and
 * quits). Pure: index.ts carries the plan out.
 */
import * as path from 'node:path';
import type { UploadDestination } from '../common/service';
import { type LaunchContext, type LaunchRequest, parseLaunchArgs } from './launch-args';

/** What a second launch sends the running Ferry, as requestSingleInstanceLock's additionalData. */
export interface HandOffData {
  ferryHandOff: 1;
  urls: string[];
  paths: string[];
  ignored: string[];
}

/** More than a person drops at once; a bigger list is not from Ferry. */
const MAX_ITEMS = 10_000;

export function handOffData(request: LaunchRequest): HandOffData {
  return { ferryHandOff: 1, urls: request.urls, paths: request.paths, ignored: request.ignored };
}

/**
 * What a second launch asks of the running Ferry. Its own reading of its command line comes
 * first: it knows its flags, its folder and which files exist there, and the argv Chromium
 * forwards may have switches added or moved. That reading is checked again here (links are
 * http(s), paths absolute), since anything can start the executable. The forwarded argv is
 * read only when the data is missing or malformed (a launch of another Ferry version).
 */
export function secondLaunch(argv: readonly string[], additionalData: unknown, context: LaunchContext): LaunchRequest {
  return readHandOff(additionalData) ?? parseLaunchArgs(argv, context);
}

function readHandOff(data: unknown): LaunchRequest | null {
  if (typeof data !== 'object' || data === null || (data as Partial<HandOffData>).ferryHandOff !== 1) return null;
  const { urls, paths, ignored } = data as Record<string, unknown>;
  const strings = (value: unknown): value is string[] => Array.isArray(value) && value.length <= MAX_ITEMS && value.every((v) => typeof v === 'string');
  if (!strings(urls) || !strings(paths) || !strings(ignored)) return null;
  const request: LaunchRequest = { urls: [], paths: [], ignored: [...ignored] };
  for (const url of urls) {
    const parsed = URL.canParse(url) ? new URL(url) : null;
    if (parsed && (parsed.protocol === 'https:' || parsed.protocol === 'http:')) request.urls.push(parsed.href);
    else request.ignored.push(url);
  }
  for (const file of paths) (path.isAbsolute(file) ? request.paths : request.ignored).push(file);
  return request;
}

export interface HandOverPlan {
  /** Links to add as downloads (none: empty). */
  downloads: string[];
  /** Files and folders to upload, and where: only when exactly one destination is set up. */
  uploads: { paths: string[]; destination: string } | null;
  /** Told to the person, one dialog each: what was not taken, why, and what to do. */
  problems: Array<{ title: string; message: string }>;
}

/** How many ignored arguments a problem names before it counts the rest. */
const NAMED = 5;

/**
 * What to do with a launch's request, given the upload destinations set up. The window is
 * shown and focused whatever the plan (a second launch with nothing to add is a person
 * looking for the window).
 */
export function planHandOver(request: LaunchRequest, destinations: readonly Pick<UploadDestination, 'id'>[]): HandOverPlan {
  const plan: HandOverPlan = { downloads: [...request.urls], uploads: null, problems: [] };
  if (request.paths.length > 0) {
    if (destinations.length === 1) plan.uploads = { paths: [...request.paths], destination: destinations[0]!.id };
    else {
      plan.problems.push({
        title: 'Choose where to upload',
        message:
          destinations.length === 0
            ? 'Add an upload destination in Settings, then drop the files on the window.'
            : 'Several upload destinations are set up: drop the files on the window and pick one.',
      });
    }
  }
  if (request.ignored.length > 0) {
    const named = request.ignored.slice(0, NAMED).join(', ');
    const rest = request.ignored.length - NAMED;
    plan.problems.push({
      title: 'Ferry could not open what it was given',
      message: `${rest > 0 ? `${named} and ${rest} more` : named}: neither an http(s) link nor a file or folder that exists.`,
    });
  }
  return plan;
}
