/**
 * `tinym2-agent`'s HTTPS server. Only `POST /pair` works without a token; every other route first checks
 * the bearer token (401 and no effect otherwise). JSON bodies are small and bounded; the model upload is
 * streamed to disk by the model store, under its pace floor.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cpus, freemem, hostname, loadavg, totalmem, uptime } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { dequantizeValues } from '../compress/quantize';
import { softmaxRow } from '../train/metrics';
import { writeFileAtomic } from '../storage/atomicFile';
import { base64ToInt8, inferRequestSchema, pairRequestSchema, type AgentErrorBody, type InferResponse, type InfoResponse, type PairResponse } from '../devices/pi/piProtocol';
import { AgentError } from './agentError';
import { ModelStore } from './modelStore';
import { Pairing, type PairingPolicy } from './pairing';
import type { TlsIdentity } from './tlsIdentity';
import { DEFAULT_UPLOAD_PACE, type UploadPacePolicy } from './uploadPace';

export interface AgentOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly maxUploadBytes: number;
  /** The slowest upload the agent waits for (default 16 KB/s over 5 s windows). */
  readonly uploadPace?: UploadPacePolicy;
  readonly pairing: PairingPolicy;
  readonly agentVersion: string;
  readonly log: (line: string) => void;
}

export interface RunningAgent {
  readonly server: Server;
  readonly port: number;
  readonly agentId: string;
  close(): Promise<void>;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** `POST /pair` needs no token, so a client trickling its few hundred bytes must not keep a connection for long. */
const PAIR_BODY_MS = 10_000;

function agentIdOf(dataDir: string): string {
  const path = join(dataDir, 'agent.json');
  if (existsSync(path)) return z.object({ agentId: z.string().min(1) }).parse(JSON.parse(readFileSync(path, 'utf8'))).agentId;
  const agentId = randomUUID();
  writeFileAtomic(path, `${JSON.stringify({ agentId }, null, 2)}\n`);
  return agentId;
}

/** The body as JSON, at most `limit` bytes, arriving within `withinMs`. */
function readJson(req: IncomingMessage, limit: number, withinMs: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(new AgentError(413, 'too_large', `the request body is over ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const stop = (e: AgentError) => {
      cleanup();
      reject(e);
    };
    const timer = setTimeout(() => stop(new AgentError(408, 'bad_request', `the request body did not arrive within ${withinMs / 1000} s`)), withinMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new AgentError(413, 'too_large', `the request body is over ${limit} bytes`));
      else parts.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new AgentError(400, 'bad_request', 'the request body is not valid JSON'));
      }
    };
    const onError = () => stop(new AgentError(400, 'bad_request', 'the connection closed before the request body ended'));
    function cleanup() {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onError);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onError);
  });
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new AgentError(400, 'bad_request', `${what} field '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  return r.data;
}

/** How long, and how much, of a refused request's unread body is read and dropped before answering. */
const DRAIN_MS = 2000;
const DRAIN_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Calls `answer` once the client has finished sending a request the agent is refusing (an upload with a
 * wrong token, say), reading and dropping the rest of its body first. Answering at once closes the
 * connection (the studio asks for connection: close) under a client still writing, which then sees EPIPE
 * instead of the answer; reading a few MB for a moment is cheaper than a confusing error. Past the limits
 * the agent answers anyway and the connection closes.
 */
function drainThenAnswer(req: IncomingMessage, answer: () => void): void {
  if (req.destroyed) return answer();
  let done = false;
  let dropped = 0;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    answer();
  };
  const timer = setTimeout(finish, DRAIN_MS);
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_MAX_BYTES) finish();
  });
  req.on('end', finish);
  req.on('close', finish);
  req.on('error', finish);
  req.resume();
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length, ...(close ? { connection: 'close' } : {}) });
  res.end(bytes);
}

export async function startAgent(tls: TlsIdentity, o: AgentOptions): Promise<RunningAgent> {
  const agentId = agentIdOf(o.dataDir);
  const startedAt = performance.now();
  const store = new ModelStore(o.dataDir, o.log);
  await store.init();
  const pairing = new Pairing(o.dataDir, o.pairing, (code, ttl) => o.log(`Pairing code: ${code} (valid ${Math.round(ttl / 1000)} s; enter it in TinyM2 Studio)`));
  const pace = o.uploadPace ?? DEFAULT_UPLOAD_PACE;
  // Node's own limit on a whole request is only a backstop: it cuts without a JSON reason. It must never
  // come before the pace floor, so it allows the largest upload at the slowest pace, plus time to check it.
  const requestTimeoutMs = pace.windowMs + Math.ceil((o.maxUploadBytes / pace.minBytesPerSecond) * 1000) + 120_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const key = `${req.method} ${url.pathname}`;
    if (key === 'POST /pair') {
      const body = parseWith(pairRequestSchema, await readJson(req, 8192, PAIR_BODY_MS), 'pairing request');
      const r = pairing.attempt(body.code, body.studioPublicKey, body.studioName);
      if (r.ok) {
        o.log(`paired with ${body.studioName ?? 'a studio'}`);
        return send(res, 200, { token: r.token, agentId, agentVersion: o.agentVersion } satisfies PairResponse);
      }
      if (r.reason === 'locked') throw new AgentError(429, 'pairing_locked', `too many wrong pairing codes; pairing is locked for ${r.retryAfterSeconds} s, then the agent shows a new code`, r.retryAfterSeconds);
      if (r.reason === 'bad_key') throw new AgentError(400, 'bad_request', 'studioPublicKey is not an Ed25519 public key (PEM)');
      throw new AgentError(403, 'pairing_code_wrong', 'wrong or expired pairing code');
    }
    const studio = pairing.studioFor(req.headers.authorization);
    if (!studio) throw new AgentError(401, 'unauthorized', 'missing or unknown token: pair this studio with the agent first');

    if (key === 'GET /info') {
      const c = cpus();
      const info: InfoResponse = {
        agentId,
        agentVersion: o.agentVersion,
        hostname: hostname(),
        model: store.state(),
        cpu: { model: c[0]?.model ?? 'unknown', cores: c.length, arch: process.arch, loadAverage: loadavg() },
        memory: { totalBytes: totalmem(), freeBytes: freemem(), agentRssBytes: process.memoryUsage().rss },
        uptimeSeconds: { system: uptime(), agent: (performance.now() - startedAt) / 1000 },
        platform: `${process.platform} ${process.version}`,
        deploySequences: store.deploySequences(),
      };
      return send(res, 200, info);
    }
    if (key === 'POST /models') {
      const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      const activation = await store.receive(req, length, studio.studioPublicKey, { maxUploadBytes: o.maxUploadBytes, pace });
      return send(res, 200, activation);
    }
    if (key === 'POST /infer') {
      const body = parseWith(inferRequestSchema, await readJson(req, MAX_JSON_BYTES, requestTimeoutMs), 'inference request');
      const model = store.running();
      if (!model) throw new AgentError(409, 'no_model', 'no model is active on this device: deploy one first');
      const { meta } = model;
      const inputs = meta.modalities.map((m) => {
        const given = body.inputs.find((i) => i.modality === m.name);
        if (!given) throw new AgentError(400, 'bad_input', `input for modality '${m.name}' is missing (the model takes ${meta.modalities.map((x) => x.name).join(', ')})`);
        const values = base64ToInt8(given.int8);
        const expected = m.inputShape.reduce((a, b) => a * b, 1);
        if (values.length !== expected) throw new AgentError(400, 'bad_input', `input '${m.name}': ${values.length} int8 values, the model expects ${expected} ([${m.inputShape.join(', ')}])`);
        return values;
      });
      const t0 = performance.now();
      const out = await model.run(inputs);
      const latencyMs = performance.now() - t0;
      const io = meta.int8;
      const probabilities = io ? softmaxRow(dequantizeValues(out, { scales: [io.logits.scale], zeroPoint: io.logits.zeroPoint })) : undefined;
      const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
      const label = best >= 0 ? meta.task.labels[best] : undefined;
      const response: InferResponse = { model: { id: model.ref.id, version: model.ref.version }, output: Array.from(out), latencyMs, ...(probabilities ? { probabilities } : {}), ...(label ? { label } : {}) };
      return send(res, 200, response);
    }
    if (key === 'POST /rollback') return send(res, 200, await store.rollback());
    throw new AgentError(404, 'not_found', `no route ${key}`);
  }

  const server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    route(req, res).catch((e: unknown) => {
      const err = e instanceof AgentError ? e : new AgentError(500, 'internal', `internal error: ${e instanceof Error ? e.message : String(e)}`);
      if (err.status === 500) o.log(`error on ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      const body: AgentErrorBody = { error: err.message, code: err.code, ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}) };
      if (err.retryAfterSeconds !== undefined && !res.headersSent) res.setHeader('retry-after', String(err.retryAfterSeconds));
      // Too slow: draining would wait on the very client being cut, so answer now and close.
      if (err.code === 'upload_too_slow') return send(res, err.status, body, true);
      // The parser marks a body complete one turn after its last bytes reach the reader (the model store
      // reads a refused upload to its end): without this turn every such refusal waited out DRAIN_MS.
      setImmediate(() => {
        if (req.complete) send(res, err.status, body);
        else drainThenAnswer(req, () => send(res, err.status, body, !req.complete));
      });
    });
  });
  // A stalled client is cut by the idle timeout below; a slow one by the pace floor (model store).
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = 20_000;
  server.setTimeout(30_000, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' ? new Error(`port ${o.port} on ${o.host} is already in use (is another tinym2-agent running?); choose another with --port`)
        : e.code === 'EACCES' ? new Error(`not allowed to listen on port ${o.port}: ports below 1024 need root; use --port 8443`)
        : e,
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  o.log(`tinym2-agent ${o.agentVersion}, agent id ${agentId}, data in ${o.dataDir}`);
  o.log(`Certificate fingerprint (SHA-256): ${tls.fingerprint256}`);
  o.log(`Listening on https://${o.host}:${port}`);
  pairing.start();
  return {
    server,
    port,
    agentId,
    close: () =>
      new Promise<void>((resolve) => {
        pairing.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
