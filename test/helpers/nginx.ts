// Starts real nginx (Debian package) on a loopback port with a given server block, for differential tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { sleep } from './net.ts';

export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
/** Reason to skip a differential test when nginx is not installed (CI installs it). */
export const nginxMissing = NGINX_BIN ? false : 'nginx is not installed (apt-get install nginx-light)';

export interface Nginx {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Run nginx with `serverBody` inside `server { listen 127.0.0.1:PORT; ... }`. `http` adds lines at
 * http level (map, upstream). Throws with nginx's own message when the config is rejected.
 */
export async function startNginx(port: number, serverBody: string, http = ''): Promise<Nginx> {
  if (!NGINX_BIN) throw new Error('nginx not installed');
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-nginx-'));
  const conf = `
worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  types { text/html html; application/javascript js; text/css css; application/json json; image/png png; text/plain txt; }
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  ${http}
  server {
    listen 127.0.0.1:${port};
    ${serverBody}
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const check = spawnSync(NGINX_BIN, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx rejected the config:\n${check.stderr}\n${conf}`);
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (await canConnect(port)) break;
    await sleep(20);
  }
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Does something accept TCP connections on 127.0.0.1:port? */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
