// A body whose Content-Length is over maxBodySize: 413 at once, no 100 Continue, the body never read — as real nginx does; the 413 logged with its size.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startBackend, type Backend } from '../../helpers/backend.ts';
import { startEngine, type RunningEngine } from '../../helpers/hardening.ts';
import { freePort } from '../../helpers/net.ts';
import { nginxMissing, startNginx, type Nginx } from '../../helpers/nginx.ts';

/**
 * Send a request head only (no body) and read until the first final answer's head is in: returns
 * every byte received by then. Resolves on the final head — a server waiting for the body never gets here.
 */
function headOnly(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no final answer while the body was held back; received: ${JSON.stringify(got)}`));
    }, 5000);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      const heads = got.split('\r\n\r\n');
      // A final (non-1xx) status line with its head complete.
      const final = heads
        .slice(0, -1)
        .find((h) => /^HTTP\/1\.1 [2-5]\d\d/.test(h.replace(/^[\s\S]*?(HTTP\/1\.1 )/, '$1')));
      if (final !== undefined) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(head);
  });
}

const head = (path: string, expect: boolean) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n${expect ? 'Expect: 100-continue\r\n' : ''}\r\n`;

describe('Content-Length over maxBodySize, as nginx', { skip: nginxMissing }, () => {
  let backend: Backend;
  let nginx: Nginx;
  let lg: RunningEngine;

  before(async () => {
    backend = await startBackend();
    nginx = await startNginx(
      await freePort(),
      `client_max_body_size 1k; location /api/ { proxy_pass http://127.0.0.1:${backend.port}/; }`,
    );
    lg = await startEngine({ maxBodySize: '1k', routes: [{ match: '/api/', target: `${backend.url}/` }] });
  });

  after(async () => {
    await lg?.stop();
    await nginx?.stop();
    await backend?.close();
  });

  for (const expect of [true, false]) {
    it(`answers 413 before any body byte${expect ? ', without 100 Continue' : ''}`, async () => {
      const seen = backend.seen.length;
      const fromNginx = await headOnly(nginx.port, head('/api/upload', expect));
      const fromLoopgate = await headOnly(lg.port, head('/api/upload', expect));
      for (const [who, got] of [
        ['nginx', fromNginx],
        ['Loopgate', fromLoopgate],
      ]) {
        assert.match(got, /^HTTP\/1\.1 413 /, `${who}: ${JSON.stringify(got.slice(0, 80))}`);
        assert.doesNotMatch(got, /100 Continue/, `${who} asked for the body`);
      }
      assert.equal(backend.seen.length, seen, 'the backend saw nothing');
    });
  }

  it('logs the 413 with its body and real size', async () => {
    await headOnly(lg.port, head('/api/logged', true));
    const rec = lg.log.list().items.find((r) => r.url === '/api/logged');
    assert.ok(rec && rec.kind === 'http');
    assert.equal(rec.status, 413);
    assert.equal(rec.error?.code, 'BODY_TOO_LARGE');
    const body = Buffer.from(rec.responseBody!, 'base64').toString();
    assert.match(body, /^413 Request Entity Too Large\n.*maxBodySize.*\n\(Loopgate\)\n$/s);
    assert.equal(rec.bytesOut, Buffer.byteLength(body));
    assert.equal(rec.responseHeaders?.['content-length'], String(rec.bytesOut));
    assert.equal(rec.bytesIn, 0, 'no body byte was read');
  });

  it('still asks for a body within the limit (100 Continue) and passes it on', async () => {
    const small = 'x'.repeat(500);
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect(lg.port, '127.0.0.1');
      let text = '';
      let sent = false;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer: ${JSON.stringify(text.slice(0, 200))}`));
      }, 5000);
      s.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !sent) {
          sent = true;
          s.write(small);
        }
        if (/\r\n\r\n[\s\S]*"bodyLength":500/.test(text)) {
          clearTimeout(timer);
          s.destroy();
          resolve(text);
        }
      });
      s.on('error', reject);
      s.write(
        'POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
      );
    });
    assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });
});
