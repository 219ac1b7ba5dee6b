/**
 * One HTTPS request to a Pi agent over a connection whose certificate is checked against the pinned
 * SHA-256 fingerprint before a single byte of the request (and so the token) is sent. The agent's
 * certificate is self-signed, so the CA chain is not what is trusted: the fingerprint is.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import { formatPiAddress, type PiAddress } from './piAddress';
import { PiDeviceError } from './piDeviceError';

export interface PiTarget extends PiAddress {
  /** Pinned certificate fingerprint; undefined only when pairing for the first time. */
  readonly fingerprint256?: string;
  readonly token?: string;
}

export interface PiRequestOptions {
  readonly json?: unknown;
  readonly body?: { readonly length: number; stream(): Readable };
  readonly signal?: AbortSignal;
  readonly onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Whole request, connect to last response byte. */
  readonly timeoutMs?: number;
}

export interface PiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly fingerprint256: string;
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

function unreachable(t: PiAddress, e: unknown): PiDeviceError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const why =
    code === 'ECONNREFUSED' ? 'connection refused: the Pi is up but tinym2-agent is not running on that port'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'no such host name on this network'
    : code === 'ETIMEDOUT' || code === 'TIMEOUT' ? 'no answer in time: the Pi may be off or on another network'
    : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'no route to it: check the Pi is on the same network'
    : (e as Error).message;
  return new PiDeviceError('unreachable', `Cannot reach the Pi at ${formatPiAddress(t)} (${why}). Check it is powered, on this network, and that tinym2-agent is running there (npx tinym2-agent --port ${t.port}).`);
}

export function fingerprintChanged(t: PiAddress, pinned: string, seen: string): PiDeviceError {
  return new PiDeviceError(
    'fingerprint_changed',
    `The Pi at ${formatPiAddress(t)} presented a different certificate than the one paired (pinned ${pinned.slice(0, 23)}…, now ${seen.slice(0, 23)}…). ` +
      'This can be another device pretending to be the Pi: nothing was sent. If the Pi was reinstalled, remove it and pair again, comparing the fingerprint it prints.',
  );
}

async function connectPinned(t: PiTarget, signal: AbortSignal | undefined, deadline: number): Promise<{ socket: TLSSocket; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: t.host, port: t.port, rejectUnauthorized: false, ...(isIP(t.host) ? {} : { servername: t.host }) });
    const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), Math.max(1, deadline - Date.now()));
    const onAbort = () => fail(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', fail);
    }
    function fail(e: Error) {
      done();
      socket.destroy();
      reject(signal?.aborted ? new PiDeviceError('upload_cut', 'the request was cancelled') : unreachable(t, e));
    }
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      done();
      const fingerprint256 = socket.getPeerCertificate().fingerprint256;
      if (t.fingerprint256 !== undefined && fingerprint256 !== t.fingerprint256) {
        socket.destroy();
        reject(fingerprintChanged(t, t.fingerprint256, fingerprint256));
        return;
      }
      resolve({ socket, fingerprint256 });
    });
  });
}

/** Waits for the socket to take more, or for the request to end (then the loop sees `settled`). */
function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      req.off('drain', go);
      req.off('close', go);
      resolve();
    };
    req.on('drain', go);
    req.on('close', go);
  });
}

export async function piRequest(t: PiTarget, method: 'GET' | 'POST', path: string, o: PiRequestOptions = {}): Promise<PiResponse> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const { socket, fingerprint256 } = await connectPinned(t, o.signal, deadline);
  const jsonBytes = o.json === undefined ? undefined : Buffer.from(JSON.stringify(o.json));
  const headers: Record<string, string | number> = { host: `${t.host}:${t.port}`, connection: 'close' };
  if (t.token) headers.authorization = `Bearer ${t.token}`;
  if (jsonBytes) Object.assign(headers, { 'content-type': 'application/json', 'content-length': jsonBytes.length });
  else if (o.body) Object.assign(headers, { 'content-type': 'application/x-tinym2-upload', 'content-length': o.body.length });
  else if (method === 'POST') headers['content-length'] = 0;

  return new Promise<PiResponse>((resolve, reject) => {
    let settled = false;
    let bodyDone = false;
    // The agent may answer before the body is all sent (busy, too slow, a bad token): that answer is the
    // news, so writing stops and a write error after it (EPIPE, reset) is not reported over it.
    let answered = false;
    const req = httpRequest({ method, path, headers, createConnection: () => socket });
    const timer = setTimeout(() => fail(unreachable(t, Object.assign(new Error('timeout'), { code: 'TIMEOUT' }))), Math.max(1, deadline - Date.now()));
    const onAbort = () => fail(new PiDeviceError('upload_cut', 'the request was cancelled'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    function finish() {
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
    function fail(e: Error) {
      if (settled) return;
      finish();
      req.destroy();
      socket.destroy();
      reject(e);
    }
    req.on('error', (e) => {
      if (answered) return;
      const code = (e as NodeJS.ErrnoException).code ?? e.message;
      if (o.body && !bodyDone) {
        fail(new PiDeviceError('upload_cut', `The connection to ${formatPiAddress(t)} was cut during the upload (${code}); the Pi keeps its previous model. Try again.`));
      } else {
        // The request reached the Pi; whether it acted on it is unknown, so say how to find out.
        fail(new PiDeviceError('unreachable', `The connection to ${formatPiAddress(t)} closed before the Pi answered (${code}). Run tinym2 devices to see the model it runs now, and try again if needed.`));
      }
    });
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) fail(new PiDeviceError('refused', `the agent's answer is over ${MAX_RESPONSE_BYTES} bytes`));
        else parts.push(c);
      });
      res.on('error', (e) => fail(unreachable(t, e)));
      // The connection closing before the answer's end (a reset after an early answer) leaves nothing to wait for.
      res.on('close', () => {
        if (!res.complete) fail(new PiDeviceError('unreachable', `The connection to ${formatPiAddress(t)} closed in the middle of the Pi's answer. Run tinym2 devices to see the model it runs now, and try again if needed.`));
      });
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* left as text: the caller reports it */
        }
        finish();
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body, fingerprint256 });
      });
    });
    if (jsonBytes) req.end(jsonBytes);
    else if (!o.body) req.end();
    else {
      const total = o.body.length;
      const stream = o.body.stream();
      void (async () => {
        let sent = 0;
        try {
          for await (const chunk of stream) {
            if (settled || answered) break;
            const buf = chunk as Buffer;
            const ok = req.write(buf);
            sent += buf.length;
            o.onUploadProgress?.(sent, total);
            if (!ok) await drained(req);
          }
          bodyDone = true;
          if (!settled && !answered) req.end();
        } catch (e) {
          fail(new PiDeviceError('upload_cut', `reading the package to upload failed: ${(e as Error).message}`));
        } finally {
          stream.destroy();
        }
      })();
    }
  });
}
