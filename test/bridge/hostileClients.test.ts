import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../src-main/bridge/server';

interface RunningBridge {
  readonly port: number;
  readonly token: string;
  readonly origin: string;
}

const MAX_BODY = 4096;

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request through node:http, which lets a test set Origin, stream a chunked body or ask for 100-continue. */
function send(bridge: RunningBridge, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[] } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path, method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // An error after the answer arrived (the bridge cutting off a body it already refused) is not the outcome.
    req.on('error', reject);
    const { body } = options;
    if (Array.isArray(body)) {
      // Chunk by chunk with no Content-Length: the bridge only learns the size while reading.
      let i = 0;
      const pump = (): void => {
        while (i < body.length) if (!req.write(body[i++]!)) return void req.once('drain', pump);
        req.end();
      };
      pump();
    } else req.end(body);
  });
}

/** Bytes straight onto a TCP connection, and everything that comes back until the bridge closes it. */
function rawExchange(bridge: RunningBridge, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(bridge.port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('the bridge neither answered nor closed')));
  });
}

/** An authenticated event socket, resolved once the bridge's greeting (app.status) has arrived. */
function openEvents(bridge: RunningBridge): Promise<{ ws: WebSocket; messages: { event: string; payload: unknown }[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/events`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${bridge.token}`]);
  const messages: { event: string; payload: unknown }[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m)) as { event: string; payload: unknown }));
  return new Promise((resolve, reject) => {
    ws.once('message', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** What an upgrade attempt got: the status of a refused handshake, or 'open'. */
function upgradeOutcome(bridge: RunningBridge, headers: Record<string, string>): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/events`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${bridge.token}`], { headers });
  return new Promise((resolve) => {
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    ws.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

describe('the bridge survives hostile clients', () => {
  let child: ChildProcessWithoutNullStreams;
  let bridge: RunningBridge;
  let stderr = '';
  let exited: number | string | undefined;
  const auth = () => ({ authorization: `Bearer ${bridge.token}` });
  /** The same process, still answering: a crash would have ended it, refusing this connection. */
  const assertStillServing = async () => {
    const res = await fetch(`${bridge.origin}/api/app.info`, { method: 'POST', headers: auth(), body: '{}' });
    assert.equal(res.status, 200);
    assert.equal(exited, undefined, `the bridge process died: ${stderr}`);
  };

  before(async () => {
    const staticDir = await mkdtemp(join(tmpdir(), 'tinym2-static-'));
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bridgeProcess.ts'), staticDir, String(MAX_BODY)], { stdio: 'pipe' });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => (exited = code ?? signal ?? 'exited'));
    const [line] = await Promise.race([
      (async () => {
        for await (const l of createInterface({ input: child.stdout })) return [l];
        return [];
      })(),
      new Promise<never>((_, reject) => child.on('exit', () => reject(new Error(`the bridge process exited at start: ${stderr}`)))),
    ]);
    bridge = JSON.parse(line!) as RunningBridge;
  });
  after(() => {
    child.stdin.end();
    child.kill();
  });

  test('a frame over 64 KB closes that socket with 1009; an invalid UTF-8 text frame with 1007', async () => {
    const big = await openEvents(bridge);
    const closedBig = closeCode(big.ws);
    big.ws.send(Buffer.alloc(70 * 1024, 0x61));
    assert.equal(await closedBig, 1009);

    const bad = await openEvents(bridge);
    const closedBad = closeCode(bad.ws);
    bad.ws.send(Buffer.from([0xff, 0xfe]), { binary: false });
    assert.equal(await closedBad, 1007);
    await assertStillServing();
  });

  test('a malformed frame on a hand-made handshake closes that socket (1002), nothing else', async () => {
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const handshake = [
      'GET /events HTTP/1.1',
      `Host: 127.0.0.1:${bridge.port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${bridge.token}`,
      '',
      '',
    ].join('\r\n');
    // A text frame with no mask: a client must mask every frame.
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(bridge.port, '127.0.0.1', () => socket.write(handshake));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (chunks.length === 1) socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
      });
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('no close')));
    });
    assert.match(reply.toString('latin1'), /^HTTP\/1\.1 101 /);
    // After the greeting, a close frame (FIN + opcode 8, two payload bytes) carrying 1002, protocol error.
    const closeAt = reply.indexOf(Buffer.from([0x88, 0x02]), reply.indexOf('\r\n\r\n'));
    assert.ok(closeAt > 0, 'a close frame was sent');
    assert.equal(reply.readUInt16BE(closeAt + 2), 1002);
    await assertStillServing();
  });

  test('upgrade sockets reset mid-handshake, with and without the token, leave the bridge running', async () => {
    for (const token of [bridge.token, 'wrong']) {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(bridge.port, '127.0.0.1', () => {
            socket.write(
              `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${token}\r\n\r\n`,
            );
            socket.resetAndDestroy();
            resolve();
          });
          socket.on('error', () => undefined);
        });
      }
    }
    await assertStillServing();
  });

  test('a malformed request line on a raw TCP socket → 400 with a JSON error, and the connection closes', async () => {
    const reply = await rawExchange(bridge, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(reply, /"code":"invalid_request"/);
    const smuggled = await rawExchange(bridge, `POST /api/app.info HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`);
    assert.match(smuggled, /^HTTP\/1\.1 400 /, 'both Content-Length and chunked: refused, not guessed');
    await assertStillServing();
  });

  test('a body over the limit → 413 with a JSON error, whether or not it declares its length', async () => {
    const declared = await send(bridge, '/api/app.info', { headers: { ...auth(), 'content-type': 'application/json' }, body: Buffer.alloc(256 * 1024, 0x20) });
    assert.equal(declared.status, 413);
    assert.match(declared.body, /request body exceeds 4096 bytes/);

    const chunked = await send(bridge, '/api/app.info', { headers: { ...auth(), 'content-type': 'application/json' }, body: Array.from({ length: 64 }, () => Buffer.alloc(4096, 0x20)) });
    assert.equal(chunked.status, 413);
    assert.equal((JSON.parse(chunked.body) as { error: { code: string } }).error.code, 'invalid_request');

    // fetch (the renderer's way) streaming a body of unknown length.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(4096).fill(0x20));
        c.close();
      },
    });
    const viaFetch = await fetch(`${bridge.origin}/api/app.info`, { method: 'POST', headers: auth(), body: stream, duplex: 'half' } as RequestInit & { duplex: 'half' });
    assert.equal(viaFetch.status, 413);
    assert.match(await viaFetch.text(), /exceeds/);

    // Asked first (Expect: 100-continue), an oversize body is refused before a byte of it is sent.
    const asked = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({ host: '127.0.0.1', port: bridge.port, path: '/api/app.info', method: 'POST', headers: { ...auth(), expect: '100-continue', 'content-length': String(1024 * 1024) } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, continued });
      });
      req.on('continue', () => {
        continued = true;
        req.end(Buffer.alloc(1024 * 1024));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.deepEqual(asked, { status: 413, continued: false });

    const fits = await send(bridge, '/api/app.info', { headers: { ...auth(), 'content-type': 'application/json' }, body: Buffer.from(`{}${' '.repeat(MAX_BODY - 2)}`) });
    assert.equal(fits.status, 200, 'exactly the limit is allowed');
  });

  test('a malformed %-escape in the path → 400, on the API and for static files', async () => {
    const api = await send(bridge, '/api/%E0%A4%A', { headers: { ...auth(), 'content-type': 'application/json' }, body: Buffer.from('{}') });
    assert.equal(api.status, 400);
    assert.match(api.body, /malformed %-escape/);
    assert.equal((await send(bridge, '/%E0%A4%A', { method: 'GET' })).status, 400);
    assert.equal((await send(bridge, '/assets/%zz.js', { method: 'GET' })).status, 400);
    assert.equal((await send(bridge, '/index.html%00.js', { method: 'GET' })).status, 400, 'a NUL is refused, not passed to the file system');
    assert.equal((await send(bridge, '/', { method: 'GET' })).status, 200, 'the renderer is still served');
    const absolute = await rawExchange(bridge, `GET http://127.0.0.1:${bridge.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: close\r\n\r\n`);
    assert.match(absolute, /^HTTP\/1\.1 400 /, 'the absolute form names an authority the Host check never sees');
  });

  test('an API call from a foreign Origin → 403; the own origins and no Origin (the CLI) work with the token', async () => {
    const call = (origin?: string) => send(bridge, '/api/app.info', { headers: { ...auth(), 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: Buffer.from('{}') });
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${bridge.port}.evil.example`, `https://127.0.0.1:${bridge.port}`, `http://127.0.0.1:${bridge.port + 1}`]) {
      const refused = await call(origin);
      assert.equal(refused.status, 403, origin);
      assert.match(refused.body, /other origins/);
    }
    assert.equal((await call()).status, 200);
    assert.equal((await call(`http://127.0.0.1:${bridge.port}`)).status, 200);
    assert.equal((await call(`http://localhost:${bridge.port}`)).status, 200);
  });

  test('the event socket refuses a foreign Origin even with the token', async () => {
    assert.equal(await upgradeOutcome(bridge, { origin: 'http://evil.example' }), '403');
    assert.equal(await upgradeOutcome(bridge, { origin: `http://localhost:${bridge.port}` }), 'open');
  });

  test('method names that are too long are refused as invalid requests, unknown ones as unknown', async () => {
    const long = await send(bridge, `/api/${'a'.repeat(5000)}`, { headers: { ...auth(), 'content-type': 'application/json' }, body: Buffer.from('{}') });
    assert.equal(long.status, 400);
    assert.equal((JSON.parse(long.body) as { error: { field: string } }).error.field, 'method');
    assert.ok(long.body.length < 500, 'the name is not echoed back');
    assert.equal((await send(bridge, '/api/__proto__', { headers: { ...auth(), 'content-type': 'application/json' }, body: Buffer.from('{}') })).status, 404);
  });

  test('after all that the same process still serves: a new client gets events and API answers', async () => {
    const { ws, messages } = await openEvents(bridge);
    const progress = new Promise<void>((resolve) => ws.on('message', () => messages.length >= 2 && resolve()));
    child.stdin.write(`${JSON.stringify({ jobId: 'j1', stage: 'train', fraction: 0.25 })}\n`);
    await progress;
    ws.close();
    assert.deepEqual(messages[1], { event: 'job.progress', payload: { jobId: 'j1', stage: 'train', fraction: 0.25 } });
    await assertStillServing();
    assert.equal(stderr, '');
  });
});
