import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeLineErrors, LINE_FRAMING, LINE_OVERRUN, stripModemStatus } from '../../../src-main/devices/gapuino/ftdiPackets';

/** Builds one bulk transfer as the chip sends it: each packet = [modem, line, ...payload]. */
function transferOf(payloads: number[][], modem = 0x31, line = 0x60): Uint8Array {
  return Uint8Array.from(payloads.flatMap((p) => [modem, line, ...p]));
}

test('status bytes are removed at every max-packet boundary, not only at the start', () => {
  const full = Array.from({ length: 62 }, (_, i) => i);
  const tail = [200, 201, 202];
  const t = transferOf([full, full.map((b) => b + 100), tail]);
  assert.equal(t.length, 64 + 64 + 5);
  const p = stripModemStatus(t, 64);
  assert.deepEqual([...p.data], [...full, ...full.map((b) => b + 100), ...tail]);
  assert.equal(p.modemStatus, 0x31);
  assert.equal(p.lineErrors, 0);
});

test('status-only packets (the chip has nothing to send) give no bytes', () => {
  assert.equal(stripModemStatus(transferOf([[]]), 512).data.length, 0);
  assert.equal(stripModemStatus(new Uint8Array(0), 512).data.length, 0);
  assert.equal(stripModemStatus(new Uint8Array(0), 512).modemStatus, undefined);
});

test('bytes equal to status values inside the payload are kept', () => {
  const payload = [0x31, 0x60, 0x31, 0x60, 0x00, 0x01];
  assert.deepEqual([...stripModemStatus(transferOf([payload]), 64).data], payload);
});

test('random streams survive packetising and stripping at 64 and 512 byte packets', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (const size of [64, 512]) {
    for (let round = 0; round < 50; round++) {
      const stream = Array.from({ length: Math.floor(rand() * 3 * size) }, () => Math.floor(rand() * 256));
      const payloads: number[][] = [];
      for (let at = 0; at < stream.length; at += size - 2) payloads.push(stream.slice(at, at + size - 2));
      if (payloads.length === 0) payloads.push([]);
      assert.deepEqual([...stripModemStatus(transferOf(payloads), size).data], stream, `size ${size} round ${round}`);
    }
  }
});

test('line errors from any packet are reported and described', () => {
  const t = Uint8Array.from([0x31, 0x60, 1, 2, ...new Array(60).fill(7), 0x31, 0x60 | LINE_OVERRUN, 3]);
  const p = stripModemStatus(t, 64);
  assert.equal(p.lineErrors, LINE_OVERRUN);
  assert.equal(p.data.length, 63);
  assert.match(describeLineErrors(p.lineErrors | LINE_FRAMING).join('; '), /overrun.*framing/);
});

test('a runt packet shorter than the header is dropped, and bad packet sizes are refused', () => {
  const t = Uint8Array.from([...transferOf([new Array(62).fill(9)]), 0x31]);
  assert.equal(stripModemStatus(t, 64).data.length, 62);
  assert.throws(() => stripModemStatus(t, 2), RangeError);
});
