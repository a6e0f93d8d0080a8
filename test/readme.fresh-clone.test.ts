// The README as a new user follows it: a fresh clone, its `npm install` (resolved), then every command-line line as written.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { type Backend, type EchoBody, startBackend } from './helpers/backend.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```lang block after the heading `heading`. */
function block(heading: string, lang: string): string {
  const from = README.indexOf(`\n${heading}\n`);
  assert.ok(from >= 0, `README has "${heading}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(README.slice(from));
  assert.ok(m, `a ${lang} block under "${heading}"`);
  return m[1]!;
}

/** The commands of a sh block, comments dropped. */
const commands = (sh: string) =>
  sh
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Every process this file starts, ended with it even when the runner stops the file on a timeout. */
const children = new Set<ChildProcess>();
const killAll = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.once('exit', killAll);
process.once('SIGTERM', () => {
  killAll();
  process.exit(1);
});
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Run one shell line as a user would type it, bounded in time. */
function sh(line: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = track(spawn('sh', ['-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Start a `loopgate serve …` line; resolves once it has printed its control URL. */
function startServe(line: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = track(spawn('sh', ['-c', `exec ${line}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: string[] = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return new Promise<{ child: ChildProcess; site: string; lines: string[]; err: () => string }>((resolve, reject) => {
    let site = '';
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      site = /^Loopgate serving (\S+)/.exec(l)?.[1] ?? site;
      if (/^Control\s+http/.test(l)) resolve({ child, site, lines, err: () => err });
    });
    child.once('exit', (code) => reject(new Error(`"${line}" exited ${code}: ${err}${lines.join('\n')}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  child.kill('SIGTERM');
  return exited;
}

const noStack = (text: string) => assert.doesNotMatch(text, /^\s+at /m, `no stack trace:\n${text}`);

test("the Node the README names is package.json's floor, and every locked package accepts it", () => {
  const semver = createRequire(import.meta.url)('semver') as {
    minVersion(range: string): { version: string } | null;
    satisfies(version: string, range: string): boolean;
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const floor = semver.minVersion(pkg.engines.node)!.version;
  assert.match(README, new RegExp(`\\bNode ${floor.replaceAll('.', '\\.')} or later\\b`));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
  };
  // An optional package whose engines refuse this Node is left out by npm without a warning (mockttp's
  // tls-impersonate, a bench peer's extra); the install below still checks that nothing warns EBADENGINE.
  const refuse = Object.entries(lock.packages)
    .filter(([, p]) => !p.optional)
    .map(([path, p]) => [path, Array.isArray(p.engines) ? undefined : p.engines?.node] as const)
    .filter(([, range]) => range && !semver.satisfies(floor, range))
    .map(([path, range]) => `${path} wants Node ${range}`);
  assert.deepEqual(refuse, [], `Node ${floor} is refused (EBADENGINE)`);
});

describe('the README from a fresh clone', () => {
  let work: string;
  let clone: string;
  let project: string;
  let backend: Backend;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'loopgate-readme-'));
    clone = join(work, 'loopgate');
    // What is committed is what a user clones (uncommitted edits of this tree are not in it).
    execFileSync('git', ['clone', '--quiet', ROOT, clone], { stdio: 'ignore' });
    backend = await startBackend();
    // A user's shell: none of npm's variables from the `npm test` that may be running us, no Electron
    // switches; `npm link` writes to a prefix of our own, whose bin/ is on the PATH.
    env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !/^ELECTRON_/.test(k) && k !== 'INIT_CWD'),
    );
    env.npm_config_prefix = join(work, 'global');
    env.PATH = `${join(work, 'global', 'bin')}:${process.env.PATH}`;
    // The user's own project: a built SPA and the nginx block of the README, pointing at our backend.
    project = join(work, 'my-app');
    mkdirSync(join(project, 'dist'), { recursive: true });
    writeFileSync(join(project, 'dist', 'index.html'), '<!doctype html><title>my app</title>');
    writeFileSync(join(project, 'site.conf'), withBackend(block('## loopgate.json', 'nginx')));
  });

  after(async () => {
    killAll();
    await backend?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The README's backend port (8888) becomes the test backend's. */
  const withBackend = (text: string) => text.replaceAll('localhost:8888', `localhost:${backend.port}`);

  test("the set-up's npm install resolves with no engine warning and leaves Electron's download out", async () => {
    const setup = commands(block('## Set up, run, test', 'sh'));
    assert.equal(setup[0], 'npm install');
    // The install as written, resolved but not written (a real one takes minutes on a loaded machine; CI's
    // .ci/run does the real one in its fresh clone and fails on an engine warning).
    const r = await sh(`${setup[0]} --dry-run --ignore-scripts --prefer-offline`, clone, env, 60_000);
    const log = r.out + r.err;
    assert.equal(r.code, 0, log);
    assert.doesNotMatch(log, /EBADENGINE/, 'the declared Node range and the dependency tree agree');
    assert.doesNotMatch(log, /npm (error|ERR!)/, log);
    const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
      allowScripts: Record<string, boolean>;
    };
    assert.ok(pkg.optionalDependencies.electron, 'electron is optional: npm 10 drops it when its download fails');
    assert.equal(pkg.allowScripts.electron, false, "npm 11 never runs electron's download");
    // The build `prepare` makes, over this tree's node_modules.
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const built = await sh(`"${process.execPath}" build/build.mjs --quiet`, clone, env, 60_000);
    assert.equal(built.code, 0, `the committed tree builds:\n${built.err.slice(0, 2000)}`);
    assert.ok(existsSync(join(clone, 'dist', 'cli.js')));
  });

  test('every command-line line works as written from the clone (serve on --port 0)', async () => {
    const lines = commands(block('## The command line', 'sh'));
    assert.deepEqual(
      lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
      [
        'npm link',
        'loopgate serve',
        'loopgate import-nginx',
        'loopgate check',
        'loopgate serve',
        'loopgate export-nginx',
      ],
    );
    for (const line of lines.map(withBackend)) {
      await (async () => {
        if (line.startsWith('npm link')) {
          const r = await sh(line, clone, env, 60_000);
          assert.equal(r.code, 0, r.out + r.err);
          assert.doesNotMatch(r.out + r.err, /npm warn/, r.out + r.err);
          return;
        }
        if (line.startsWith('loopgate serve')) {
          // Port 0 instead of the default 8080, so that the test never meets a port in use.
          const s = await startServe(`${line} --port 0`, project, env);
          try {
            const api = (await (await fetch(`${s.site}/api/users`)).json()) as EchoBody;
            assert.equal(api.url, '/api/users');
            if (line.includes('--root dist')) {
              assert.match(await (await fetch(`${s.site}/`)).text(), /my app/);
              const text = s.lines.join('\n');
              assert.match(text, new RegExp(`/ws +→ ws://localhost:${backend.port} \\(\\+WebSocket\\)$`, 'm'));
              const ws = new WebSocket(`${s.site.replace('http', 'ws')}/ws`);
              const echoed = await new Promise<string>((resolve, reject) => {
                ws.once('open', () => ws.send('hello'));
                ws.once('message', (d) => resolve(d.toString()));
                ws.once('error', reject);
              });
              ws.close();
              assert.equal(echoed, 'hello');
            } else {
              assert.match(s.lines.join('\n'), /warning: \/srv\/app\/dist does not exist/);
            }
            noStack(s.err());
          } finally {
            assert.equal(await stop(s.child), 0);
          }
          return;
        }
        const r = await sh(line, project, env);
        // check is a validator: the imported root (/srv/app/dist) does not exist here, so it fails, naming it.
        assert.equal(r.code, line.includes('check') ? 1 : 0, `${line}\n${r.out}${r.err}`);
        noStack(r.err);
        if (line.includes('import-nginx')) {
          const written = JSON.parse(readFileSync(join(project, 'loopgate.json'), 'utf8')) as Record<string, unknown>;
          assert.deepEqual(written, JSON.parse(withBackend(block('## loopgate.json', 'json'))), 'the README shows it');
          assert.equal(r.err.trim().split('\n').length, 3, `the three warnings the README names:\n${r.err}`);
        }
        if (line.includes('check')) {
          assert.match(r.out, /is valid/);
          assert.match(r.out, new RegExp(`/api +→ http://localhost:${backend.port}/api \\(\\+WebSocket\\)`));
          assert.match(r.out, /warning: \/srv\/app\/dist does not exist/);
          assert.match(r.err, /^loopgate: check failed: root \/srv\/app\/dist does not exist/);
        }
        if (line.includes('export-nginx')) {
          assert.match(
            readFileSync(join(project, 'site.conf'), 'utf8'),
            new RegExp(`proxy_pass http://localhost:${backend.port}/api;`),
          );
        }
      })();
    }
  });
});
