import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from './harness';

export interface NginxLogLine {
  uri: string;
  status: number;
  bytes: number;
  range: string;
  ifRange: string;
}

export interface Nginx {
  port: number;
  root: string;
  url(file: string): string;
  log(): NginxLogLine[];
  stop(): Promise<void>;
}

/** Debian's nginx, or one on the PATH (Homebrew's on macOS). Not used on Windows, whose nginx build wants other paths. */
export const NGINX_BINARY =
  process.platform === 'win32'
    ? null
    : (['/usr/sbin/nginx', '/usr/bin/nginx', ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'nginx'))].find((p) => fs.existsSync(p)) ?? null);

/** For describe/test options: skip with the reason when there is no nginx. */
export const NEEDS_NGINX = NGINX_BINARY ? false : 'nginx is not installed (bash .ci/run installs it; brew install nginx on macOS)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real nginx serving `root` on loopback, in the foreground as our child, logging each
 * request's Range and If-Range so tests can see how resumes were asked for.
 */
export async function startNginx(root: string, options: { limitRate?: string } = {}): Promise<Nginx> {
  if (!NGINX_BINARY) throw new Error('nginx is not installed (apt-get install nginx-light); .ci/run installs it');
  const dir = tempDir('nginx-');
  const port = await freePort();
  const accessLog = path.join(dir, 'access.log');
  const temp = (name: string): string => path.join(dir, name);
  fs.writeFileSync(
    temp('nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events { worker_connections 1024; }
http {
  log_format ranges escape=none '$request_uri\\t$status\\t$body_bytes_sent\\t$http_range\\t$http_if_range';
  access_log ${accessLog} ranges;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 30;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { ${options.limitRate ? `limit_rate ${options.limitRate};` : ''} }
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX_BINARY, ['-c', temp('nginx.conf'), '-p', dir, '-e', temp('error.log')], { stdio: 'ignore' });
  await waitForPort(port, child);
  return {
    port,
    root,
    url: (file) => `http://127.0.0.1:${port}/${file}`,
    log: () =>
      fs.existsSync(accessLog)
        ? fs
            .readFileSync(accessLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              const [uri, status, bytes, range, ifRange] = line.split('\t');
              return { uri: uri!, status: Number(status), bytes: Number(bytes), range: range!, ifRange: ifRange! };
            })
        : [],
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not start listening');
}
