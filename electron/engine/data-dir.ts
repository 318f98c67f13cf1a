import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The desktop app's app.getPath('userData') for a product named Ferry, computed the same
 * way so the CLI and the app share one store (DESIGN.md section 6).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FERRY_DATA_DIR) return path.resolve(env.FERRY_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Ferry');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Ferry');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Ferry');
}

/** The user's Downloads folder (XDG user-dirs on Linux when configured). */
export function defaultDownloadDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  const xdg = env.XDG_DOWNLOAD_DIR;
  return xdg ? path.resolve(xdg.replace(/^\$HOME/, home)) : path.join(home, 'Downloads');
}
