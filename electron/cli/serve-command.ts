/**
 * `ferry serve`: the engine with its service, the window over a WebSocket on loopback, and the
 * local door (DESIGN.md section 9) for the CLI and other front doors on this machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliHostCommand } from './browser-install';
import { DataDirLockedError, defaultDataDir, defaultDownloadDir, ensureDir, headlessHost, openEngineService, openLocalDoor, ferryVersion } from '../engine';
import { COMMON_OPTIONS, UsageError, parse } from './args';
import { Output } from './output';
import { EXIT } from './runner';
import { startServer } from './serve';
import { DEFAULT_SERVE_PORT, loadServeIdentity, saveServeIdentity } from './serve-identity';

export const SERVE_OPTIONS = {
  ...COMMON_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  'new-token': { type: 'boolean' },
} as const;

/** The built window, when there is one (npm run build puts it in out/renderer). */
function rendererDir(): string | null {
  const dir = path.join(__dirname, '..', '..', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

export async function commandServe(args: string[], usage: () => number): Promise<number> {
  const { values, positionals } = parse(args, SERVE_OPTIONS, 'serve', true);
  if (values.help) return usage();
  if (positionals.length > 0) throw new UsageError(`ferry serve takes no arguments, got "${positionals[0]}"`);
  const json = Boolean(values.json);
  const host = values.host ?? '127.0.0.1';
  const explicitPort = values.port === undefined ? null : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || (explicitPort ?? 0) > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (0 picks a free one), got "${values.port}"`);
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  const output = new Output({ json });
  const log = (message: string): void => void process.stderr.write(`ferry serve: ${message}\n`);
  let opened: ReturnType<typeof openEngineService>;
  try {
    ensureDir(dataDir);
    opened = openEngineService({
      dataDir,
      command: 'ferry serve',
      onEngineError: (error) => log(`engine error: ${error.message}`),
      host: headlessHost(dataDir, defaultDownloadDir(), log, { command: cliHostCommand() }),
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`cannot use the data directory ${dataDir} (${code}); pass another --data-dir or set FERRY_DATA_DIR`);
    throw error;
  }
  const { engine, service } = opened;
  // A long-running server outlives a bug in one code path: it is logged with its stack and
  // the server goes on (the engine already turns its own failures into transfer failures).
  process.on('unhandledRejection', (reason) => {
    engine.log.error('unhandled rejection in ferry serve', { error: reason });
    log(`unexpected error (kept running; see ferry.log): ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  if (engine.storeDamage) output.note(engine.storeDamage.message);
  // The same data directory gives the same URL after a restart: its token, and its last port
  // when free (else the default, else any free one), so a bookmark or an open tab still works.
  const identity = loadServeIdentity(dataDir, Boolean(values['new-token']));
  const port = explicitPort ?? identity.port ?? DEFAULT_SERVE_PORT;
  let server: Awaited<ReturnType<typeof startServer>>;
  let door: Awaited<ReturnType<typeof openLocalDoor>> | null = null;
  try {
    const start = (on: number) => startServer({ host, port: on, engine, service, rendererDir: rendererDir(), log, token: identity.token });
    server = await start(port).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || explicitPort !== null) throw error;
      log(`port ${port} is taken; listening on another one (the address below changes)`);
      return start(0);
    });
    if (server.port !== identity.port) saveServeIdentity(dataDir, { ...identity, port: server.port });
  } catch (error) {
    service.close();
    await engine.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is taken; pick another with --port, or --port 0 for any free one`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${host}: this machine has no such address; leave --host out for 127.0.0.1`);
    throw error;
  }
  // The CLI on this data directory hands its work over here instead of exiting 4. Without
  // the door the window still works: said once, and serve goes on.
  try {
    door = await openLocalDoor(dataDir, service, { log, app: ferryVersion() });
  } catch (error) {
    log(`the local door could not open (${(error as Error).message}); ferry get on this data directory will exit 4 until serve restarts`);
  }
  // Listening for Ctrl-C and SIGTERM before the address is printed: a signal sent as soon
  // as the address appears must save progress like any other, not kill the process.
  const stopped = new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  service.autoResume();
  if (json) process.stdout.write(`${JSON.stringify({ type: 'listening', url: server.url })}\n`);
  else process.stdout.write(`Ferry is running. Open ${server.url}\n`);
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
  if (!loopback) {
    log(`listening on ${host}: anyone who can reach this address and has the token can move files as this user`);
    if (!json) for (const other of server.urls.filter((u) => u !== server.url)) process.stdout.write(`  or ${other}\n`);
  }
  if (!rendererDir()) log('the window is not built (run npm run build); the service answers on /rpc');
  const signal = await stopped;
  log('stopping: saving every transfer\'s progress');
  await door?.close();
  await server.close();
  service.close();
  await engine.close();
  return signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}
