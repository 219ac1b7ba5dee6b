import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { crc16Ccitt, encodeFrame, FrameDecoder } from '../../../src-main/devices/gapuino/frame';
import { LoaderClient, LoaderNoReplyError, MessageType } from '../../../src-main/devices/gapuino/loaderProtocol';
import type { ByteTransport } from '../../../src-main/devices/transport';
import { seededRandom } from '../../../src-main/train/random';
import { tempDir } from '../../firmware/buildFirmware';
import { assertRunsValidModel, buildLoader, startDevice } from '../../firmware/loaderDevice';
import { writeTestPackage } from '../../firmware/loaderPackages';

test('frame: CRC-16/CCITT-FALSE check value, byte layout, and resynchronisation after garbage and damage', () => {
  assert.equal(crc16Ccitt(new TextEncoder().encode('123456789')), 0x29b1);
  const f = encodeFrame(MessageType.data, 7, new Uint8Array([1, 2, 3]));
  assert.deepEqual(Array.from(f.subarray(0, 6)), [0xa5, 0x5a, 0x03, 7, 3, 0]);
  assert.equal(f.length, 8 + 3 + 4);

  const rnd = seededRandom(9);
  const decoder = new FrameDecoder();
  const sent: number[] = [];
  let got = 0;
  for (let i = 0; i < 300; i++) {
    const payload = Uint8Array.from({ length: rnd.int(200) }, () => rnd.int(256));
    const frame = encodeFrame(MessageType.input, i & 0xff, payload);
    const kind = rnd.int(4);
    if (kind === 0) frame[8 + rnd.int(frame.length - 8)]! ^= 1 << rnd.int(8); // damaged: must be dropped
    else sent.push(i & 0xff);
    const junk = kind === 1 ? Uint8Array.from({ length: rnd.int(20) }, () => (rnd.int(3) === 0 ? 0xa5 : rnd.int(256))) : new Uint8Array(0);
    const stream = new Uint8Array([...junk, ...frame]);
    // Arbitrary split points, as a UART delivers them.
    for (let at = 0; at < stream.length; ) {
      const n = 1 + rnd.int(64);
      for (const fr of decoder.push(stream.subarray(at, at + n))) {
        assert.equal(fr.seq, sent[got], `frame ${got}`);
        got++;
      }
      at += n;
    }
  }
  assert.equal(got, sent.length, 'every undamaged frame was found');

  // A long frame cut short, then short complete frames: they are found without waiting for 4 KB.
  const cutShort = encodeFrame(MessageType.data, 1, new Uint8Array(3000)).subarray(0, 100);
  const after = [encodeFrame(MessageType.ack, 2, new Uint8Array(8)), encodeFrame(MessageType.ack, 3, new Uint8Array(8))];
  const fresh = new FrameDecoder();
  assert.deepEqual(fresh.push(cutShort), []);
  assert.deepEqual(fresh.push(after[0]!).map((fr) => fr.seq), [2]);
  assert.deepEqual(fresh.push(after[1]!).map((fr) => fr.seq), [3]);
});

/** Drops the device's replies at chosen positions: a reply lost on the wire. */
class LossyReplies implements ByteTransport {
  readonly description: string;
  private reads = 0;
  constructor(
    private readonly inner: ByteTransport,
    private readonly lose: (n: number) => boolean,
  ) {
    this.description = inner.description;
  }
  write(bytes: Uint8Array) {
    return this.inner.write(bytes);
  }
  async read(timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const bytes = await this.inner.read(Math.max(1, deadline - Date.now()));
      if (!this.lose(this.reads++)) return bytes;
    }
  }
  close() {
    return this.inner.close();
  }
}

test('client: a lost reply is retransmitted with the same sequence number and the device does not run the request twice', async () => {
  const loader = buildLoader();
  const work = tempDir('tm2-protocol-test-');
  const pkg = writeTestPackage(work, 21);
  const { device } = startDevice(loader, path.join(work, 'flash.img'));
  try {
    const client = new LoaderClient(new LossyReplies(device, (n) => n % 3 === 1), { timeoutMs: 150, retries: 5 });
    await client.begin(pkg.blob.length, new Uint8Array(await crypto.subtle.digest('SHA-256', pkg.blob)));
    let offset = 0;
    while (offset < pkg.blob.length) offset = await client.data(offset, pkg.blob.subarray(offset, offset + 512));
    assert.equal(await client.commit(), 0);
    assert.ok(client.retransmissions > 0, 'replies were lost and requests retransmitted');
    const clean = new LoaderClient(device, { timeoutMs: 400 });
    const { info } = await assertRunsValidModel(clean, [pkg], 'after a lossy transfer');
    assert.equal(info.recordSeq, 1, 'COMMIT ran once although its request may have been sent twice');

    const silent = new LoaderClient(new LossyReplies(device, () => true), { timeoutMs: 50, retries: 2 });
    await assert.rejects(silent.hello(), (e: unknown) => e instanceof LoaderNoReplyError && /did not answer HELLO \(3 tries/.test(e.message));
  } finally {
    await device.close();
  }
});
