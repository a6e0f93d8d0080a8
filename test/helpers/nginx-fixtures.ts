// The nginx config corpus under test/fixtures/nginx/, `nginx -t` for exported blocks, and nginx running one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importNginx, type ImportResult } from '../../main/config/nginx/import.ts';
import { waitFor } from './net.ts';
import { canConnect, NGINX_BIN } from './nginx.ts';

export const NGINX_FIXTURES = new URL('../fixtures/nginx/', import.meta.url).pathname;
export const fixtureFiles = readdirSync(NGINX_FIXTURES)
  .filter((f) => f.endsWith('.conf'))
  .sort();

export function importFixture(name: string): ImportResult {
  const file = join(NGINX_FIXTURES, name);
  return importNginx(readFileSync(file, 'utf8'), { file });
}

/**
 * Run `nginx -t` on an http{}-level snippet (maps + server blocks) inside a minimal nginx.conf with
 * temp paths. Backend host names other than IP literals and localhost become 127.0.0.1 so that -t
 * does not need DNS (nginx resolves proxy_pass hosts when it loads the config).
 */
export function nginxTest(httpSnippet: string): { ok: boolean; stderr: string; conf: string } {
  if (!NGINX_BIN) throw new Error('nginx not installed');
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-nginx-t-'));
  try {
    const body = httpSnippet.replace(/(proxy_pass https?:\/\/)([^/:;\s]+)/g, (m, scheme: string, host: string) =>
      /^(\d+\.){3}\d+$|^localhost$|^\[/.test(host) ? m : `${scheme}127.0.0.1`,
    );
    const conf = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
${body}
}
`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const r = spawnSync(NGINX_BIN, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    return { ok: r.status === 0, stderr: r.stderr, conf };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start real nginx with an http{}-level snippet whose server listens on 127.0.0.1:PORT. */
export async function startNginxHttp(httpSnippet: string, port: number): Promise<{ stop(): Promise<void> }> {
  if (!NGINX_BIN) throw new Error('nginx not installed');
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-nginx-run-'));
  const conf = `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
${httpSnippet}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const check = spawnSync(NGINX_BIN, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx rejected the config:\n${check.stderr}\n${conf}`);
  }
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => canConnect(port), `nginx on port ${port}`, 5000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
}
