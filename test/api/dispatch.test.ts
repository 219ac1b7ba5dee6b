import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';

const base = {
  'app.info': async () => ({ name: 'n', version: 'v', transport: 'bridge', platform: 'p', dataDir: 'd' }),
  'models.list': async () => ({ models: [], problems: [] }),
  'models.get': async () => {
    throw new Error('disk on fire');
  },
  'devices.list': async () => ({ usb: { available: true }, devices: [] }),
} satisfies Partial<ServiceHandlers> as Partial<ServiceHandlers> as ServiceHandlers; // only the methods these tests call

test('a service can never send what the contract does not promise', async () => {
  const broken = { ...base, 'app.info': async () => ({ name: 'n' }) } as unknown as ServiceHandlers;
  const r = await dispatch(broken, 'app.info', {});
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /malformed response/);
});

test('unexpected service errors become a failed result with the service\'s words', async () => {
  const r = await dispatch(base, 'models.get', { id: 'x' });
  assert.deepEqual(r, { ok: false, error: { code: 'failed', message: 'models.get: disk on fire' } });
});

test('prototype keys are not methods', async () => {
  for (const m of ['constructor', '__proto__', 'toString']) {
    const r = await dispatch(base, m, {});
    assert.equal(!r.ok && r.error.code, 'unknown_method');
  }
});
