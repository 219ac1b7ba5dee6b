import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody } from '../api/contract';
import { dispatch, type ServiceHandlers } from '../api/dispatch';
import type { EventBus } from '../api/eventBus';
import { decodeRequestPath } from './requestPath';
import { serveStatic } from './staticFiles';
import { newBridgeToken, tokenMatches } from './token';

export interface BridgeOptions {
  readonly services: ServiceHandlers;
  readonly events: EventBus;
  /** The built renderer to serve; omit to serve the API only. */
  readonly staticDir?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly token?: string;
  /** Largest accepted request body; uploads of recordings are the big ones. */
  readonly maxBodyBytes?: number;
}

export interface Bridge {
  readonly port: number;
  readonly token: string;
  /** Origin of the bridge, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The URL to open: the token travels in the fragment, which browsers never send to a server. */
  readonly url: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** The renderer asks for this subprotocol and passes the token in a second one (browsers cannot set headers on WebSockets). */
export const WS_PROTOCOL = 'tinym2.v1';
export const WS_TOKEN_PREFIX = 'token.';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, error: ApiErrorBody): void {
  sendJson(res, status, { error });
}

const statusOf: Record<ApiErrorBody['code'], number> = {
  unauthorized: 401,
  invalid_request: 400,
  unknown_method: 404,
  not_found: 404,
  failed: 500,
};

/** Thrown by readBody when a body passes the limit; the handler answers 413 for it. */
class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}

/**
 * Collects a request body up to `limit` bytes. Past the limit it rejects but keeps reading and dropping
 * the rest: destroying the request instead would reset the connection before the 413 reaches the client.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflowed = false;
    req.on('data', (c: Buffer) => {
      if (overflowed) return;
      size += c.length;
      if (size > limit) {
        overflowed = true;
        chunks.length = 0;
        reject(new BodyTooLarge(`request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** How long a refused request may go on sending its body (dropped) before its connection is cut. */
const DRAIN_MS = 5_000;

/**
 * After an answer that did not read the whole body (401, 413, …), drops the rest so the client reads the
 * answer instead of a reset, but not for ever: a body still arriving after DRAIN_MS is a client to cut off.
 */
function dropRestOfBody(req: IncomingMessage): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/** Peer errors on a connection (a reset, a broken pipe) end that connection; they are never the process's concern. */
const ignorePeerError = (): void => undefined;

/** An HTTP answer written straight to a socket that has no request object (a parse error, a refused upgrade). */
function answerRaw(socket: Duplex, status: number, statusText: string, body: ApiErrorBody): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify({ error: body });
  const head = [`HTTP/1.1 ${status} ${statusText}`, 'Connection: close', 'Content-Type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(text)}`, 'Cache-Control: no-store'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}

/**
 * The local bridge: the same API as Electron IPC, over HTTP (requests) and a WebSocket (events), so the
 * real renderer runs in a plain browser. Bound to 127.0.0.1 only; every API call and the event socket
 * need the per-start token; the Host header must name this very address (defeats DNS rebinding) and an
 * Origin header, when a browser sends one, must be the bridge's own (a page elsewhere cannot call in).
 * No frame or request, however malformed, may end the process: every socket has an error listener.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? newBridgeToken();
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  let port = 0;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);
  /** A browser always sends Origin on a POST or a WebSocket; the CLI and curl send none and rely on the token. */
  const originOk = (origin: string | undefined) => origin === undefined || allowedOrigins().has(origin);
  /** The response each connection is writing, so a parse error never writes a second answer into the middle of one. */
  const answering = new WeakMap<Duplex, ServerResponse>();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', ignorePeerError);
    res.on('error', ignorePeerError);
    answering.set(req.socket, res);
    res.on('finish', () => {
      if (answering.get(req.socket) === res) answering.delete(req.socket);
      dropRestOfBody(req);
    });
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, { code: 'failed', message: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  };
  const server = createServer(onRequest);

  // A client that asks before sending a big body (curl does past 1 MB) hears 413 before sending any of it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if ((declaredLength(req) ?? 0) <= maxBody) res.writeContinue();
    onRequest(req, res);
  });

  // Replaces Node's default answer to a request it cannot parse, which is the same but wordless.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on('error', ignorePeerError);
    if (err.code === 'ECONNRESET' || answering.get(socket)?.headersSent) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') answerRaw(socket, 431, 'Request Header Fields Too Large', { code: 'invalid_request', message: 'request headers too large' });
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') answerRaw(socket, 408, 'Request Timeout', { code: 'invalid_request', message: 'request timed out' });
    else answerRaw(socket, 400, 'Bad Request', { code: 'invalid_request', message: `malformed HTTP request (${err.code ?? err.message})` });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      sendError(res, 421, { code: 'unauthorized', message: 'unexpected Host header' });
      return;
    }
    const target = decodeRequestPath(req.url);
    if (!target.ok) {
      sendError(res, 400, { code: 'invalid_request', message: target.reason, field: '(path)' });
      return;
    }
    if (target.path.startsWith('/api/')) {
      if (!originOk(req.headers.origin)) {
        sendError(res, 403, { code: 'unauthorized', message: 'requests from other origins are refused' });
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendError(res, 405, { code: 'invalid_request', message: 'API calls are POST requests' });
        return;
      }
      const auth = req.headers.authorization;
      const given = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!tokenMatches(token, given)) {
        sendError(res, 401, { code: 'unauthorized', message: given === undefined ? 'missing bridge token' : 'wrong bridge token' });
        return;
      }
      const tooLarge = { code: 'invalid_request', message: `request body exceeds ${maxBody} bytes`, field: '(body)' } as const;
      if ((declaredLength(req) ?? 0) > maxBody) {
        sendError(res, 413, tooLarge);
        return;
      }
      let body: unknown;
      try {
        const raw = await readBody(req, maxBody);
        body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch (e) {
        if (e instanceof BodyTooLarge) sendError(res, 413, tooLarge);
        else sendError(res, 400, { code: 'invalid_request', message: `request body is not valid JSON (${e instanceof Error ? e.message : String(e)})`, field: '(body)' });
        return;
      }
      const result = await dispatch(options.services, target.path.slice('/api/'.length), body);
      if (result.ok) sendJson(res, 200, { result: result.result });
      else sendError(res, statusOf[result.error.code], result.error);
      return;
    }
    if (options.staticDir && (req.method === 'GET' || req.method === 'HEAD')) {
      serveStatic(options.staticDir, target.path, res, `'self' ws://${HOST}:${port} ws://localhost:${port}`);
      return;
    }
    sendError(res, 404, { code: 'not_found', message: `nothing at ${req.method} ${target.path}` });
  }

  const wss = new WebSocketServer({
    noServer: true,
    // Events flow one way; nothing the page could send needs more. A bigger frame closes that socket with 1009.
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the raw socket over without its error listener: a reset before ws takes over would be fatal.
    socket.on('error', ignorePeerError);
    const target = decodeRequestPath(req.url);
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const given = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
    if (!target.ok) answerRaw(socket, 400, 'Bad Request', { code: 'invalid_request', message: target.reason, field: '(path)' });
    else if (!originOk(req.headers.origin)) answerRaw(socket, 403, 'Forbidden', { code: 'unauthorized', message: 'connections from other origins are refused' });
    else if (target.path !== '/events' || !allowedHosts().has(req.headers.host ?? '') || !tokenMatches(token, given)) {
      answerRaw(socket, 401, 'Unauthorized', { code: 'unauthorized', message: 'the event socket needs the bridge token' });
    } else {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        // ws has already closed the socket with the right code (1009 too big, 1007 invalid UTF-8, 1002 bad
        // frame); without a listener the error it then emits would end the process.
        ws.on('error', ignorePeerError);
        // Anything the page sends is ignored rather than trusted.
        ws.on('message', () => undefined);
        ws.send(JSON.stringify({ event: 'app.status', payload: { connected: true, transport: 'bridge', at: Date.now() } }));
      });
    }
  });

  const unsubscribe = options.events.subscribe((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  // Once listening, the server itself only reports trouble accepting (out of file descriptors, say): worth
  // a line in the log, never the end of the backend; the connections already open carry on.
  server.on('error', (e) => console.error(`tinym2 bridge: ${e.message}`));
  const origin = `http://${HOST}:${port}`;

  return {
    port,
    token,
    origin,
    url: `${origin}/#token=${token}`,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
