import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody } from '../api/contract';
import { dispatch, type ServiceHandlers } from '../api/dispatch';
import type { EventBus } from '../api/eventBus';
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
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
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

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`request body exceeds ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The local bridge: the same API as Electron IPC, over HTTP (requests) and a WebSocket (events), so the
 * real renderer runs in a plain browser. Bound to 127.0.0.1 only; every API call and the event socket
 * need the per-start token; the Host header must name this very address (defeats DNS rebinding).
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? newBridgeToken();
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  let port = 0;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, { code: 'failed', message: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      sendError(res, 421, { code: 'unauthorized', message: 'unexpected Host header' });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (url.pathname.startsWith('/api/')) {
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
      let body: unknown;
      try {
        const raw = await readBody(req, maxBody);
        body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch (e) {
        sendError(res, 400, { code: 'invalid_request', message: `request body is not valid JSON (${e instanceof Error ? e.message : String(e)})`, field: '(body)' });
        return;
      }
      const method = decodeURIComponent(url.pathname.slice('/api/'.length));
      const result = await dispatch(options.services, method, body);
      if (result.ok) sendJson(res, 200, { result: result.result });
      else sendError(res, statusOf[result.error.code], result.error);
      return;
    }
    if (options.staticDir && (req.method === 'GET' || req.method === 'HEAD')) {
      serveStatic(options.staticDir, url.pathname, res, `'self' ws://${HOST}:${port} ws://localhost:${port}`);
      return;
    }
    sendError(res, 404, { code: 'not_found', message: `nothing at ${req.method} ${url.pathname}` });
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const given = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/events' || !allowedHosts().has(req.headers.host ?? '') || !originOk || !tokenMatches(token, given)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // Events flow one way; anything the page sends is ignored rather than trusted.
      ws.on('message', () => undefined);
      ws.send(JSON.stringify({ event: 'app.status', payload: { connected: true, transport: 'bridge', at: Date.now() } }));
    });
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
