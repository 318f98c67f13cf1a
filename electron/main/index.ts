/**
 * Ferry's desktop shell: one instance, one window, the engine in its own process, and the
 * OS integration around them (tray, notifications, dock/taskbar progress, sleep and
 * network hooks). Everything the window does goes through the TransferService contract.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrowserWindow, Notification, app, dialog, net, powerMonitor, powerSaveBlocker } from 'electron';
import { createClient } from '../common/rpc';
import type { Notice, TransferClient } from '../common/service';
import { defaultDownloadDir, ferryVersion, runNativeHost, startApp } from '../engine';
import { rendererDir } from './app-files';
import { isAppPage } from './app-origin';
import { registerAppScheme, serveAppFiles } from './app-protocol';
import { EngineHost } from './engine-host';
import type { SupervisorDecision } from './engine-supervisor';
import { handOffData, planHandOver, secondLaunch } from './hand-off';
import { serveWindowConnections } from './ipc';
import { type LaunchContext, type LaunchRequest, parseLaunchArgs } from './launch-args';
import { type AppProcess, appCommand, nativeHostArgs, nativeHostCommand } from './native-host-launch';
import { type NoteSpec, Notifier, osNotification } from './notifier';
import { mainPortChannel } from './port-channel';
import { PowerBlocker } from './power';
import { type QueueTotals, QueueWatch } from './queue-watch';
import { quitQuestion } from './quit-prompt';
import { applySecurityPolicy } from './security';
import { badgeCount, taskbarProgress } from './taskbar';
import { TrayManager } from './tray';
import { trayMenu } from './tray-menu';
import { createWindow } from './window';

const APP_ID = 'app.ferry.desktop';
/** How this process reads a command line: its own at start, a second launch's when it forwards no data. */
const launchContext = (cwd: string): LaunchContext => ({ cwd, appPathFirst: process.defaultApp === true });
const IDLE: QueueTotals = { active: 0, activeUploads: 0, queued: 0, paused: 0, progress: null, speed: 0, failedThisRun: 0 };

app.setName('Ferry');
// A separate data directory, for tests (every e2e run gets its own) or a second profile.
if (process.env.FERRY_DATA_DIR) app.setPath('userData', path.resolve(process.env.FERRY_DATA_DIR));
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
// Before ready, or Chromium will not treat app:// as a standard, secure origin.
registerAppScheme();

const host = new EngineHost({ ended: engineEnded, restarted: () => void reconnect() });
const power = new PowerBlocker(powerSaveBlocker);
const notifier = new Notifier(makeNote, () => showWindow());
let win: BrowserWindow | null = null;
let client: (TransferClient & { dispose(): void }) | null = null;
let watch: QueueWatch | null = null;
let tray: TrayManager | null = null;
let keepRunningInTray = true;
let quitting = false;
let lastTotals = IDLE;
let toldAboutTray = false;
/** Resolved once the engine, the shell's client and the tray are up: a second launch that comes earlier waits for it. */
let shellIsReady: () => void = () => undefined;
const shellReady = new Promise<void>((resolve) => (shellIsReady = resolve));

/** Electron's notification for a spec; null where the OS has none. */
function makeNote(spec: NoteSpec) {
  if (!Notification.isSupported()) return null;
  const note = new Notification({ title: spec.title, body: spec.body, silent: spec.silent });
  return { show: () => note.show(), close: () => note.close(), onClick: (f: () => void) => note.on('click', f), onClosed: (f: () => void) => note.on('close', f) };
}

/**
 * A notice for the person. The engine's reach the window too, which shows them itself when
 * it is in front; the shell's own (the engine restarting, Ferry still running in the tray)
 * reach nobody else, so they always go to the OS.
 */
function tell(notice: Notice, from: 'engine' | 'shell'): void {
  const windowShowsIt = from === 'engine' && win !== null && !win.isDestroyed() && win.isVisible() && win.isFocused();
  const spec = osNotification(notice, windowShowsIt);
  if (spec) notifier.show(spec);
}

function showWindow(): void {
  if (!win || win.isDestroyed()) {
    win = createWindow();
    win.on('close', (event) => {
      // Closing the window keeps Ferry working in the tray, when the setting says so.
      if (!quitting && keepRunningInTray && tray) {
        event.preventDefault();
        win?.hide();
        // Once per run: a closed window that keeps working should not be a surprise.
        if (!toldAboutTray) {
          toldAboutTray = true;
          tell({ level: 'info', title: 'Ferry is still running', body: 'Transfers go on in the background. Quit from the tray icon, or turn this off in Settings.', ids: [] }, 'shell');
        }
      }
    });
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/** A launch's links and files go to the engine (hand-off.ts decides how); the window comes to the front. */
async function handOver(request: LaunchRequest): Promise<void> {
  showWindow();
  if (!client) return;
  let destinations: Array<{ id: string }> = [];
  if (request.paths.length > 0) {
    const settings = await client.getSettings();
    if (settings.ok) destinations = settings.value.uploadDestinations;
  }
  const plan = planHandOver(request, destinations);
  if (plan.downloads.length > 0) {
    const added = await client.addDownloads({ urls: plan.downloads });
    if (!added.ok) dialog.showErrorBox('Ferry could not add the links', added.error.message);
  }
  if (plan.uploads) {
    const added = await client.addUploads(plan.uploads);
    if (!added.ok) dialog.showErrorBox('Ferry could not add the files', added.error.message);
  }
  for (const problem of plan.problems) dialog.showErrorBox(problem.title, problem.message);
}

async function confirmQuit(): Promise<boolean> {
  const question = quitQuestion(lastTotals);
  if (!question) return true;
  const { quitId, ...box } = question;
  const { response } = await dialog.showMessageBox({ type: 'question', ...box });
  return response === quitId;
}

/** Everything outside the window that follows the queue: power, tray, dock and taskbar. */
function showTotals(totals: QueueTotals): void {
  lastTotals = totals;
  power.set('transfers', totals.active > 0);
  tray?.show(trayMenu(totals));
  const bar = taskbarProgress(totals);
  if (win && !win.isDestroyed()) win.setProgressBar(bar.progress, { mode: bar.mode });
  app.setBadgeCount(badgeCount(totals));
}

/** Sleep, wake and network changes reach the engine, which checkpoints and resumes on fresh connections. */
function wireOs(): void {
  powerMonitor.on('suspend', () => host.power('suspend'));
  powerMonitor.on('resume', () => host.power('wake'));
  // Electron has no online/offline event in the main process; ask the network stack every few seconds.
  let online = net.isOnline();
  setInterval(() => {
    const now = net.isOnline();
    if (now !== online) host.power(now ? 'online' : 'offline');
    online = now;
  }, 3000).unref();
}

/**
 * The shell's own client (tray, dock and taskbar, notifications, the power blocker),
 * connected at start and again to each engine that replaces one that ended.
 */
async function connectShell(): Promise<void> {
  watch?.dispose();
  client?.dispose();
  const current = createClient(mainPortChannel(host.connect()), { app: ferryVersion() });
  client = current;
  const settings = await current.getSettings();
  if (settings.ok) keepRunningInTray = settings.value.keepRunningInTray;
  current.onEvent((event) => {
    if (event.type === 'settings') keepRunningInTray = event.settings.keepRunningInTray;
  });
  watch = new QueueWatch(current, showTotals, (notice) => tell(notice, 'engine'));
  await watch.start();
}

/** The engine ended without being asked: say so, once; the host restarts it or has given up. */
function engineEnded(decision: Exclude<SupervisorDecision, { action: 'none' }>): void {
  console.warn(`ferry: ${decision.message}`);
  watch?.dispose();
  client?.dispose(); // its port went with the engine
  watch = client = null;
  showTotals(IDLE);
  if (decision.action === 'give-up') {
    dialog.showErrorBox("Ferry's engine stopped", decision.message);
    return;
  }
  tell({ level: 'info', title: "Ferry's engine is restarting", body: decision.message, ids: [] }, 'shell');
}

/** A new engine is up: the shell and the window connect to it (the window by reloading, which asks for a new port). */
async function reconnect(): Promise<void> {
  try {
    await connectShell();
  } catch (error) {
    console.warn(`ferry: could not reconnect to the restarted engine: ${(error as Error).message}`);
  }
  if (win && !win.isDestroyed()) win.webContents.reload();
}

const thisApp = (): AppProcess => ({ execPath: process.execPath, defaultApp: process.defaultApp === true, appPath: app.getAppPath(), appImage: process.env.APPIMAGE });

/**
 * Started by a browser for Ferry's extension (native-host-launch.ts): no lock, no window;
 * the messages go through the local door, and Ferry is started (or its window brought
 * forward, by a second launch) when the extension needs it.
 */
async function runAsNativeHost(args: string[]): Promise<void> {
  app.dock?.hide();
  app.exit(await runNativeHost(args, startApp(appCommand(thisApp()))));
}

async function main(): Promise<void> {
  const hostArgs = nativeHostArgs(process.argv);
  if (hostArgs) return runAsNativeHost(hostArgs);
  const launch = parseLaunchArgs(process.argv, launchContext(process.cwd()));
  if (!app.requestSingleInstanceLock(handOffData(launch))) {
    app.quit(); // the running Ferry got our request through 'second-instance'
    return;
  }
  app.on('second-instance', (_event, argv, workingDirectory, data) => {
    const request = secondLaunch(argv, data, launchContext(workingDirectory));
    void shellReady.then(() => handOver(request));
  });
  await app.whenReady();
  applySecurityPolicy();
  serveAppFiles(rendererDir(__dirname));

  const started = await host.start({ dataDir: app.getPath('userData'), downloadDir: defaultDownloadDir(), version: ferryVersion(), nativeHost: nativeHostCommand(thisApp(), process.platform, process.resourcesPath, fs.existsSync) });
  if (!started.ok) {
    dialog.showErrorBox('Ferry cannot start', started.error.locked ? `${started.error.message}\n\nClose the other Ferry (or ferry command) and start again.` : started.error.message);
    app.exit(4);
    return;
  }
  serveWindowConnections(host, isAppPage);
  await connectShell();
  wireOs();

  tray = new TrayManager(path.join(__dirname, '..', '..', '..', 'build', 'icons', '32x32.png'), {
    show: showWindow,
    'pause-all': () => void client?.pauseAll(),
    'resume-all': () => void client?.resumeAll(),
    quit: () => app.quit(),
  });
  tray.create(trayMenu(lastTotals));
  shellIsReady();
  await handOver(launch);

  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    if (!keepRunningInTray) app.quit();
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void (async () => {
      if (!(await confirmQuit())) return;
      quitting = true;
      power.dispose();
      notifier.dispose();
      watch?.dispose();
      tray?.destroy();
      await host.stop(); // every transfer checkpointed and left queued for next time
      app.exit(0);
    })();
  });
}

void main();
