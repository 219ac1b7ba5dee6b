/**
 * Fuzz target: the local bridge (src-main/bridge/server.ts), started for real in this process with the
 * stub services of test/bridge/server.test.ts and a small renderer folder to serve. Inputs travel over
 * real TCP sockets:
 * - `.http`: raw bytes of an HTTP request, written to a fresh connection; the answer must not be a 5xx
 *   (a malformed request is the client's fault: 4xx), and no answer may carry the bait file that sits
 *   beside the renderer folder;
 * - `.ws`: raw WebSocket frames, written on a fresh socket that completed the handshake with the token,
 *   followed by a ping the bridge must either answer or close the socket over.
 * A crash of this process (an 'error' event nobody listens to) is reported by the harness against the
 * input that was running; `check` proves the bridge still answers a valid call and accepts a socket.
 *
 * Placeholders in inputs: $TOKEN, $HOST (127.0.0.1:port), $PORT, $ORIGIN, and $PAD(n) for n bytes of 'a'
 * (so a corpus file can hold a body over the limit without being one).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ServiceError, type ServiceHandlers } from '../../../src-main/api/dispatch';
import { EventBus } from '../../../src-main/api/eventBus';
import { startBridge, WS_PROTOCOL, WS_TOKEN_PREFIX, type Bridge } from '../../../src-main/bridge/server';
import { FuzzViolation, scratchDir, type FuzzTarget } from '../fuzzTarget';
import { wsFrame } from '../mutator';

/** Largest request body the fuzzed bridge accepts (the app's default is 64 MiB; a small one keeps the 413 case cheap). */
export const FUZZ_MAX_BODY_BYTES = 256 * 1024;
const BAIT = 'TM2-FUZZ-BAIT: this file is outside the renderer folder';
/** How long to wait for an answer before hanging up our side (a request the mutations left incomplete). */
const ANSWER_WAIT_MS = 150;
const CLOSE_WAIT_MS = 500;

const stubs: Partial<ServiceHandlers> = {
  'app.info': async () => ({ name: 'TinyM2 Studio', version: 't', transport: 'bridge', platform: 'test', dataDir: '/tmp/x' }),
  'models.list': async () => ({ models: [], problems: [] }),
  'models.get': async ({ id }) => {
    throw new ServiceError(`no model with id '${id}'`, 'not_found');
  },
  'devices.list': async () => ({ usb: { available: false, reason: 'test' }, devices: [] }),
};

/** Every other method answers "not here" (404), so a 5xx can only come from the bridge itself. */
const services = new Proxy(stubs, {
  get: (t, method: string) =>
    t[method as keyof ServiceHandlers] ??
    (async () => {
      throw new ServiceError(`${method} is not available in the fuzzed bridge`, 'not_found');
    }),
}) as ServiceHandlers;

let bridge: Bridge;
let sandbox = '';

function fill(input: Uint8Array): Buffer {
  const text = Buffer.from(input)
    .toString('latin1')
    .replace(/\$PAD\((\d{1,8})\)/g, (_, n: string) => 'a'.repeat(Math.min(Number(n), 16 * 1024 * 1024)))
    .replaceAll('$TOKEN', bridge.token)
    .replaceAll('$HOST', `127.0.0.1:${bridge.port}`)
    .replaceAll('$PORT', String(bridge.port))
    .replaceAll('$ORIGIN', bridge.origin);
  return Buffer.from(text, 'latin1');
}

/** A TCP connection to the bridge collecting everything it sends. */
class Connection {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined); // a reset is an answer too; the outcome says what was received
  }

  static open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(bridge.port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `done()` holds, the connection closes, or `ms` pass. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done() && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return done();
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

interface HttpAnswer {
  readonly status?: number;
  /** The head and whatever of the body arrived, as text. */
  readonly text: string;
  /** Whether the answer came only after we hung up (the request was incomplete as sent). */
  readonly afterHangUp: boolean;
}

/** Interim answers (100 Continue to an Expect header, 103 hints), which a final answer follows; not 101, which ends HTTP. */
const INTERIM = /^HTTP\/1\.[01] 1(?!01)\d\d /;

/** The answer after any interim ones. */
function finalAnswer(data: Buffer): Buffer {
  let at = 0;
  while (INTERIM.test(data.subarray(at, at + 16).toString('latin1'))) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    at = end + 4;
  }
  return data.subarray(at);
}

function statusOf(data: Buffer): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(finalAnswer(data).subarray(0, 16).toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** Whether a whole answer arrived: its head, and its body when a length or chunked coding says where it ends (a HEAD answer has none). */
function answerComplete(all: Buffer, head: boolean): boolean {
  const data = finalAnswer(all);
  if (INTERIM.test(data.subarray(0, 16).toString('latin1'))) return false;
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  if (head) return true;
  const headText = data.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length: *(\d+)/i.exec(headText);
  if (length) return data.length >= end + 4 + Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(headText)) return data.includes('\r\n0\r\n\r\n', end) || data.subarray(end + 4).toString('latin1').startsWith('0\r\n\r\n');
  return false;
}

async function sendHttp(bytes: Buffer): Promise<HttpAnswer> {
  const c = await Connection.open();
  const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
  try {
    c.write(bytes);
    const answered = await c.until(() => answerComplete(c.data, head), ANSWER_WAIT_MS);
    if (!answered) {
      // The request may be incomplete as sent: hang up our side and see what the bridge makes of that.
      if (!c.closed) c.socket.end();
      await c.until(() => answerComplete(c.data, head), CLOSE_WAIT_MS);
    }
    return { status: statusOf(c.data), text: c.data.toString('latin1'), afterHangUp: !answered };
  } finally {
    c.destroy();
  }
}

/** Server frames received so far (unmasked, as servers send them), until one is cut short. */
function serverFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    let len = data[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (at + 4 > data.length) break;
      len = data.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (at + 10 > data.length) break;
      len = Number(data.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > data.length) break;
    frames.push({ opcode: data[at]! & 0x0f, payload: data.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return frames;
}

/** Opens the event socket with the token; resolves once the bridge answered 101 (its frames follow in `data`). */
async function openEventSocket(): Promise<Connection> {
  const c = await Connection.open();
  const key = randomBytes(16).toString('base64');
  c.write(
    Buffer.from(
      `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${bridge.token}\r\nOrigin: ${bridge.origin}\r\n\r\n`,
      'latin1',
    ),
  );
  await c.until(() => c.data.includes('\r\n\r\n'), 2000);
  const status = statusOf(c.data);
  if (status !== 101) {
    c.destroy();
    throw new FuzzViolation(`the event socket handshake with the right token was answered ${status ?? 'with nothing'}: ${c.data.toString('latin1').slice(0, 200)}`);
  }
  c.data = c.data.subarray(c.data.indexOf('\r\n\r\n') + 4);
  return c;
}

async function sendFrames(bytes: Buffer): Promise<{ closeCode?: number; answeredPing: boolean; closed: boolean }> {
  const c = await openEventSocket();
  try {
    const sync = Buffer.from(`sync-${randomBytes(4).toString('hex')}`);
    c.write(bytes);
    // A ping after the input: its pong proves every frame before it was read; a close is the other good end.
    c.write(wsFrame({ opcode: 0x9, payload: sync }));
    const pong = () => serverFrames(c.data).some((f) => (f.opcode === 0xa && f.payload.equals(sync)) || f.opcode === 0x8);
    await c.until(pong, ANSWER_WAIT_MS);
    const frames = serverFrames(c.data);
    const close = frames.find((f) => f.opcode === 0x8);
    return { closeCode: close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined, answeredPing: frames.some((f) => f.opcode === 0xa && f.payload.equals(sync)), closed: c.closed };
  } finally {
    c.destroy();
  }
}

export const target: FuzzTarget = {
  expected: [],
  async setup() {
    sandbox = mkdtempSync(join(scratchDir(), 'tm2-fuzz-bridge-'));
    mkdirSync(join(sandbox, 'renderer', 'assets'), { recursive: true });
    writeFileSync(join(sandbox, 'renderer', 'index.html'), '<!doctype html><title>TinyM2 Studio</title>');
    writeFileSync(join(sandbox, 'renderer', 'assets', 'app.js'), 'console.log("renderer");');
    writeFileSync(join(sandbox, 'outside.txt'), BAIT);
    writeFileSync(join(sandbox, 'renderer.txt'), BAIT); // a sibling whose name starts like the folder's
    bridge = await startBridge({ services, events: new EventBus(), staticDir: join(sandbox, 'renderer'), maxBodyBytes: FUZZ_MAX_BODY_BYTES });
    process.on('exit', () => rmSync(sandbox, { recursive: true, force: true }));
  },
  async run(input, name) {
    const bytes = fill(input);
    if (name.endsWith('.ws')) return sendFrames(bytes);
    const answer = await sendHttp(bytes);
    if (answer.status !== undefined && answer.status >= 500) throw new FuzzViolation(`the bridge answered ${answer.status} to a malformed request: ${answer.text.slice(0, 400)}`);
    if (answer.text.includes(BAIT)) throw new FuzzViolation(`the bridge served a file from outside its renderer folder: ${answer.text.slice(0, 400)}`);
    return { status: answer.status ?? null, afterHangUp: answer.afterHangUp, head: answer.text.split('\r\n\r\n', 1)[0]!.slice(0, 300), body: answer.text.split('\r\n\r\n').slice(1).join('\r\n\r\n').slice(0, 300) };
  },
  async check() {
    const body = '{}';
    const answer = await sendHttp(
      Buffer.from(
        `POST /api/app.info HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nAuthorization: Bearer ${bridge.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    if (answer.status !== 200 || !answer.text.includes('TinyM2 Studio')) throw new Error(`the bridge no longer answers a valid call: ${answer.status} ${answer.text.slice(0, 300)}`);
    const c = await openEventSocket();
    try {
      await c.until(() => serverFrames(c.data).length > 0, 2000);
      const first = serverFrames(c.data)[0];
      if (!first || !first.payload.toString().includes('app.status')) throw new Error('the event socket no longer sends app.status');
    } finally {
      c.destroy();
    }
  },
};
