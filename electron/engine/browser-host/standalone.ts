/**
 * The native host as a program of its own: bundled by build/native-host.mjs into one file
 * and, by the release workflow, into a single executable (Node's SEA) that the Windows
 * installer ships beside the app. On Windows a windowed program gets no standard input,
 * so the app cannot be the host there itself (electron/main/native-host-launch.ts).
 *
 *   ferry-native-host --data-dir DIR [--app PATH-TO-THE-APP] <what the browser adds>
 *
 * Only what the host needs is loaded: no store, no engine (so no native module to bundle).
 */
import { runNativeHost } from './host-session';

void runNativeHost(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ferry native host: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
