import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { EventBus } from '../../src-main/api/eventBus';
import { startBridge, WS_PROTOCOL, WS_TOKEN_PREFIX, type Bridge } from '../../src-main/bridge/server';
import { ServiceError, type ServiceHandlers } from '../../src-main/api/dispatch';

let appInfoCalls = 0;
const services = {
  'app.info': async () => (appInfoCalls++, { name: 'TinyM2 Studio', version: 't', transport: 'bridge', platform: 'test', dataDir: '/tmp/x' }),
  'models.list': async () => ({ models: [], problems: [] }),
  'models.get': async ({ id }) => {
    throw new ServiceError(`no model with id '${id}'`, 'not_found');
  },
  'devices.list': async () => ({ usb: { available: false, reason: 'test' }, devices: [] }),
} satisfies Partial<ServiceHandlers> as Partial<ServiceHandlers> as ServiceHandlers; // only the methods these tests call

function post(bridge: Bridge, path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${bridge.origin}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

describe('local bridge', () => {
  let bridge: Bridge;
  let events: EventBus;
  before(async () => {
    events = new EventBus();
    bridge = await startBridge({ services, events });
  });
  after(() => bridge.close());
  const auth = () => ({ authorization: `Bearer ${bridge.token}` });

  test('listens on the loopback address only, with a fresh high-entropy token', () => {
    assert.ok(bridge.origin.startsWith('http://127.0.0.1:'));
    assert.ok(bridge.token.length >= 40);
    assert.ok(bridge.url.endsWith(`#token=${bridge.token}`), 'token travels in the fragment, never sent to the server');
  });

  test('answers a valid call with the service result', async () => {
    const res = await post(bridge, '/api/app.info', '{}', auth());
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { result: { name: string } }).result.name, 'TinyM2 Studio');
  });

  test('missing or wrong token → 401, and the service is not called', async () => {
    const callsBefore = appInfoCalls;
    const missing = await post(bridge, '/api/app.info', '{}');
    assert.equal(missing.status, 401);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /missing bridge token/);
    const wrong = await post(bridge, '/api/app.info', '{}', { authorization: `Bearer ${bridge.token.slice(0, -1)}x` });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /wrong bridge token/);
    assert.equal(appInfoCalls, callsBefore);
  });

  test('malformed messages → 400 naming the failing field', async () => {
    const badJson = await post(bridge, '/api/models.get', '{"id":', auth());
    assert.equal(badJson.status, 400);
    const badField = await post(bridge, '/api/models.get', '{"id": 42}', auth());
    assert.equal(badField.status, 400);
    const body = (await badField.json()) as { error: { field: string; message: string } };
    assert.equal(body.error.field, 'id');
    assert.match(body.error.message, /field 'id'/);
    const extra = await post(bridge, '/api/app.info', '{"sneaky": true}', auth());
    assert.equal(extra.status, 400, 'unknown fields are rejected, not ignored');
  });

  test('unknown methods and service not-found errors → 404; GET on the API → 405', async () => {
    assert.equal((await post(bridge, '/api/fs.readFile', '{}', auth())).status, 404);
    const nf = await post(bridge, '/api/models.get', '{"id":"nope"}', auth());
    assert.equal(nf.status, 404);
    assert.match(((await nf.json()) as { error: { message: string } }).error.message, /no model with id 'nope'/);
    assert.equal((await fetch(`${bridge.origin}/api/app.info`, { headers: auth() })).status, 405);
  });

  test('a foreign Host header is refused (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: bridge.port, path: '/api/app.info', method: 'POST', headers: { host: 'evil.example:80', ...auth() } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(status, 421);
  });

  test('serves nothing else: no static files were configured', async () => {
    assert.equal((await fetch(`${bridge.origin}/index.html`)).status, 404);
  });

  test('the event socket needs the token and then carries service events', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${bridge.port}/events`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}wrong`]);
    const refusedOutcome = await new Promise<string>((resolve) => {
      refused.on('open', () => resolve('open'));
      refused.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      refused.on('error', () => resolve('error'));
    });
    assert.equal(refusedOutcome, '401');

    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/events`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${bridge.token}`]);
    const received: { event: string; payload: unknown }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        received.push(JSON.parse(String(m)) as { event: string; payload: unknown });
        if (received.length === 1) events.emit('job.progress', { jobId: 'j1', stage: 'train', fraction: 0.5 });
        if (received.length === 2) resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(received[0]!.event, 'app.status');
    assert.deepEqual(received[1], { event: 'job.progress', payload: { jobId: 'j1', stage: 'train', fraction: 0.5 } });
  });

  test('the event bus refuses payloads the contract does not allow', () => {
    assert.throws(() => events.emit('job.progress', { jobId: 'j', stage: 's', fraction: 2 }));
  });
});
