// Control-server test fixture: a real control server over a hand-fed SessionLog and recording fakes.
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SendResult, StatusInfo } from '../../shared/api.ts';
import { validateConfig, type ConfigInput, type ConfigResult } from '../../shared/config.ts';
import { Controller } from '../../main/control/controller.ts';
import { createControlServer, type ControlServer } from '../../main/control/http-api.ts';
import { SessionLog } from '../../main/engine/log/store.ts';

export const TOKEN = 'test-token-0123456789';

export interface TunnelCall {
  op: 'send' | 'close';
  id: number;
  to?: 'client' | 'backend';
  data?: Buffer;
  binary?: boolean;
  code?: number;
  reason?: string;
}

export interface Fixture {
  log: SessionLog;
  controller: Controller;
  server: ControlServer;
  calls: TunnelCall[];
  /** What the fake tunnels answer next (default ok). */
  tunnelAnswer: { value: SendResult };
  config: { input: ConfigInput; version: number };
  uiDir: string;
  close(): Promise<void>;
}

export async function startFixture(opts: { eventsHighWater?: number; batchMs?: number } = {}): Promise<Fixture> {
  const log = new SessionLog({ intervalMs: opts.batchMs });
  const calls: TunnelCall[] = [];
  const tunnelAnswer = { value: { ok: true } as SendResult };
  const config = {
    input: {
      routes: [{ match: '/api', target: 'http://127.0.0.1:9000' }],
      profiles: { staging: { routes: [] } },
    } as ConfigInput,
    version: 1,
  };
  const put = async (input: unknown): Promise<ConfigResult> => {
    const r = validateConfig(input);
    if (r.ok) {
      config.input = input as ConfigInput;
      config.version++;
    }
    return r;
  };
  const controller = new Controller({
    log,
    tunnels: {
      send(id, to, data, binary) {
        calls.push({ op: 'send', id, to, data, binary });
        return tunnelAnswer.value;
      },
      close(id, code, reason) {
        calls.push({ op: 'close', id, code, reason });
        return tunnelAnswer.value;
      },
    },
    config: {
      get: () => config.input,
      put,
      setProfile: (name) => put({ ...config.input, activeProfile: name ?? undefined }),
    },
    status: (): StatusInfo => ({
      running: true,
      siteUrl: 'http://127.0.0.1:8080',
      controlUrl: null,
      version: config.version,
      activeProfile: config.input.activeProfile ?? null,
      profiles: Object.keys(config.input.profiles ?? {}),
      lastError: null,
      appVersion: '0.1.0-test',
    }),
  });
  const uiDir = mkdtempSync(join(tmpdir(), 'loopgate-ui-'));
  mkdirSync(join(uiDir, 'assets'));
  writeFileSync(
    join(uiDir, 'index.html'),
    '<!doctype html><title>Loopgate</title><script type="module" src="/app.js"></script>',
  );
  writeFileSync(join(uiDir, 'app.js'), 'console.log("ui")');
  writeFileSync(join(uiDir, 'assets', 'style.css'), 'body{}');
  const server = await createControlServer({ controller, token: TOKEN, uiDir, eventsHighWater: opts.eventsHighWater });
  return {
    log,
    controller,
    server,
    calls,
    tunnelAnswer,
    config,
    uiDir,
    async close() {
      await server.close();
      rmSync(uiDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** A raw HTTP call (node:http, so Host and Origin can be set freely). Bearer token unless auth is given. */
export function call(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown; auth?: string | null; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...opts.headers };
  if (opts.auth !== null) headers.authorization = opts.auth ?? `Bearer ${TOKEN}`;
  let payload: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
