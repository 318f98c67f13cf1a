import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * mkdir -p, one component at a time. Node 20's mkdirSync({ recursive: true }) spins
 * forever when a file system answers ENOENT for a path whose parent exists (/proc does),
 * so a bad --dir would hang Ferry instead of failing with a clear message.
 */
export function ensureDir(dir: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let at = target;
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const component of missing) {
    try {
      fs.mkdirSync(component);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
