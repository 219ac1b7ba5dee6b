import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch, MAX_METHOD_NAME_LENGTH, type ServiceHandlers } from '../../src-main/api/dispatch';

let calls = 0;
const services = {
  'app.info': async () => (calls++, { name: 'n', version: 'v', transport: 'electron', platform: 'p', dataDir: 'd' }),
} satisfies Partial<ServiceHandlers> as Partial<ServiceHandlers> as ServiceHandlers; // only the method these tests call

test('a method name off the wire that is not a string is an invalid request, never an exception', async () => {
  for (const method of [42, null, undefined, {}, ['app.info'], { toString: () => 'app.info' }, Symbol('app.info'), 1n]) {
    const r = await dispatch(services, method, {});
    assert.deepEqual(r, { ok: false, error: { code: 'invalid_request', message: 'the method name must be a string', field: 'method' } }, String(typeof method));
  }
  assert.equal(calls, 0);
});

test('an over-long method name is refused without being echoed back', async () => {
  const r = await dispatch(services, 'app.info'.padEnd(MAX_METHOD_NAME_LENGTH + 1, 'x'), {});
  assert.equal(!r.ok && r.error.code, 'invalid_request');
  assert.equal(!r.ok && r.error.field, 'method');
  const huge = await dispatch(services, 'x'.repeat(1_000_000), {});
  assert.ok(!huge.ok && huge.error.message.length < 200);
});

test('unknown names stay unknown_method; a known one with a missing request gets the empty request', async () => {
  const r = await dispatch(services, 'fs.readFile', {});
  assert.equal(!r.ok && r.error.code, 'unknown_method');
  assert.equal((await dispatch(services, 'app.info', undefined)).ok, true);
  assert.equal(calls, 1);
});
