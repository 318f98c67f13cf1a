/**
 * The CLI's modules compiled once, not at every start: Node keeps V8's code cache for them
 * in its compile cache (in the system's temporary folder, per Node version and file), which
 * took a one-file `ferry get` from about 205 to 150 ms of CPU on this project's machine
 * (issue 13: the start is paid once per command, a large share of a batch's cost per file).
 * Imported first by ferry.ts so that it applies to every module after it. A Node without it
 * (before 22.1), NODE_DISABLE_COMPILE_CACHE, or a folder that cannot be written: modules
 * compile as before.
 */
import * as nodeModule from 'node:module';

try {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
} catch {
  // compiled as before
}
