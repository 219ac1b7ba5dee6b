import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacedTransport } from '../../../src-main/devices/gapuino/uartPacing';
import type { ByteTransport } from '../../../src-main/devices/transport';

function echo(): ByteTransport {
  const queue: Uint8Array[] = [];
  return {
    description: 'echo',
    write: async (b) => void queue.push(b),
    read: async () => queue.shift() ?? new Uint8Array(0),
    close: async () => undefined,
  };
}

test('a paced transport takes 10 bit times per byte each way', async () => {
  const t = pacedTransport(echo(), 115_200);
  assert.match(t.description, /at 115200 baud/);
  const t0 = performance.now();
  await t.write(new Uint8Array(1152)); // 100 ms at 115200 baud
  const afterWrite = performance.now() - t0;
  await t.read(1000);
  const total = performance.now() - t0;
  assert.ok(afterWrite >= 95 && afterWrite < 400, `write took ${afterWrite} ms`);
  assert.ok(total >= 195 && total < 700, `write + read took ${total} ms`);
  assert.throws(() => pacedTransport(echo(), 0), /baud must be positive/);
});
