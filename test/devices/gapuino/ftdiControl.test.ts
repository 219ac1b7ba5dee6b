import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  baudRateRequest,
  bitmodeResetRequest,
  flowControlRequest,
  ftdiInterfaceNumber,
  ftdiPortIndex,
  latencyTimerRequest,
  LINE_8N1,
  lineFormatRequest,
  modemControlRequest,
  purgeRequests,
  resetRequest,
  uartSetupRequests,
} from '../../../src-main/devices/gapuino/ftdiControl';

const vendor = { requestType: 'vendor', recipient: 'device' } as const;

test('ports: A is interface 0 / wIndex 1, B is interface 1 / wIndex 2', () => {
  assert.equal(ftdiInterfaceNumber('A'), 0);
  assert.equal(ftdiInterfaceNumber('B'), 1);
  assert.equal(ftdiPortIndex('A'), 1);
  assert.equal(ftdiPortIndex('B'), 2);
});

test("requests carry AN232B-04 / libftdi's bRequest, wValue and wIndex", () => {
  assert.deepEqual(resetRequest('B'), { ...vendor, request: 0, value: 0, index: 2 });
  assert.deepEqual(purgeRequests('B'), [
    { ...vendor, request: 0, value: 1, index: 2 },
    { ...vendor, request: 0, value: 2, index: 2 },
  ]);
  // SIO_SET_DTR_HIGH 0x0101 | SIO_SET_RTS_HIGH 0x0202; lowering keeps the mask bits.
  assert.deepEqual(modemControlRequest('B', { dtr: true, rts: true }), { ...vendor, request: 1, value: 0x0303, index: 2 });
  assert.deepEqual(modemControlRequest('A', { dtr: false, rts: true }), { ...vendor, request: 1, value: 0x0302, index: 1 });
  assert.deepEqual(flowControlRequest('B', 'none'), { ...vendor, request: 2, value: 0, index: 0x0002 });
  assert.deepEqual(flowControlRequest('B', 'rts-cts'), { ...vendor, request: 2, value: 0, index: 0x0102 });
  assert.deepEqual(flowControlRequest('A', 'dtr-dsr'), { ...vendor, request: 2, value: 0, index: 0x0201 });
  assert.deepEqual(lineFormatRequest('B', LINE_8N1), { ...vendor, request: 4, value: 0x0008, index: 2 });
  assert.deepEqual(lineFormatRequest('B', { dataBits: 7, parity: 'even', stopBits: 2 }), { ...vendor, request: 4, value: 0x1207, index: 2 });
  assert.deepEqual(latencyTimerRequest('B', 16), { ...vendor, request: 9, value: 16, index: 2 });
  assert.deepEqual(bitmodeResetRequest('B'), { ...vendor, request: 0x0b, value: 0, index: 2 });
  assert.deepEqual(baudRateRequest('B', 115200, 'ft2232h'), { ...vendor, request: 3, value: 0xc068, index: 0x0202, actualBaud: 115246 });
  assert.deepEqual(baudRateRequest('A', 9600, 'ft2232c'), { ...vendor, request: 3, value: 0x4138, index: 0x0001, actualBaud: 9600 });
});

test('latency timer outside 1–255 ms is refused', () => {
  assert.throws(() => latencyTimerRequest('B', 0), /1–255/);
  assert.throws(() => latencyTimerRequest('B', 256), /1–255/);
  assert.throws(() => latencyTimerRequest('B', 2.5), /1–255/);
});

test('UART setup: reset first, purge last, all on the chosen port', () => {
  const reqs = uartSetupRequests({ port: 'B', chip: 'ft2232h', baud: 921600, format: LINE_8N1, flow: 'none', latencyMs: 2, dtr: true, rts: true });
  assert.deepEqual(
    reqs.map((r) => r.request),
    [0, 0x0b, 3, 4, 2, 1, 9, 0, 0],
  );
  assert.deepEqual(reqs.slice(-2).map((r) => r.value), [1, 2]);
  for (const r of reqs) assert.equal(r.index & 0xff, 2, `request ${r.request} on port B`);
  assert.equal(reqs[2]!.value, 13);
});
