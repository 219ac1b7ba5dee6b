import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import {
  classifyUsbError,
  FT2232_PRODUCT_ID,
  FTDI_VENDOR_ID,
  GapuinoUsbError,
  listUsbGapuinos,
  openGapuinoTransport,
  openUsbGapuino,
  watchUsbGapuinos,
  type FtdiTransport,
  UDEV_RULE_FILE,
  type GapuinoHotplugEvent,
} from '../../../src-main/devices/gapuino/usbGapuino';
import { FtdiBaudError } from '../../../src-main/devices/gapuino/ftdiBaud';
import { TransportClosedError, TransportTimeoutError } from '../../../src-main/devices/transport';
import { FakeFtdiDevice, FakeUsbHost } from './ftdiFakeDevice';

const fast = { pollMs: 50, writeSlackMs: 200 } as const;

async function expectReject<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E, text?: RegExp): Promise<E> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected ${type.name}`);
}

/** Reads until `n` bytes have arrived (the transport may hand them over in several pieces). */
async function readN(t: FtdiTransport, n: number, timeoutMs = 2000): Promise<Uint8Array> {
  const out: number[] = [];
  while (out.length < n) out.push(...(await t.read(timeoutMs)));
  return Uint8Array.from(out);
}

test('open: detaches ftdi_sio from port B, claims interface 1 and configures the UART in order', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  try {
    assert.ok(d.opened);
    assert.deepEqual([...d.claimed], [1]);
    assert.deepEqual([...d.kernelDriver], [0], 'port A (JTAG) keeps its driver');
    assert.equal(t.description, 'GAPuino on USB 1-2');
    assert.deepEqual(
      d.controlLog.map((c) => [c.requestType, c.recipient, c.request, c.value, c.index]),
      [
        ['vendor', 'device', 0x00, 0x0000, 0x0002], // reset
        ['vendor', 'device', 0x0b, 0x0000, 0x0002], // bitmode: plain UART
        ['vendor', 'device', 0x03, 0xc068, 0x0202], // 115200 baud on the 12 MHz base
        ['vendor', 'device', 0x04, 0x0008, 0x0002], // 8N1
        ['vendor', 'device', 0x02, 0x0000, 0x0002], // no flow control
        ['vendor', 'device', 0x01, 0x0303, 0x0002], // DTR and RTS high
        ['vendor', 'device', 0x09, 0x0002, 0x0002], // latency 2 ms
        ['vendor', 'device', 0x00, 0x0001, 0x0002], // purge RX
        ['vendor', 'device', 0x00, 0x0002, 0x0002], // purge TX
      ],
    );
  } finally {
    await t.close();
  }
  assert.equal(d.releasedCount, 1);
  assert.deepEqual([...d.kernelDriver].sort(), [0, 1], 'ftdi_sio gets port B back on close');
  assert.equal(d.opened, false);
});

test('write/read round trip through modem-status stripping at 64-byte packets', async () => {
  const d = new FakeFtdiDevice({ chipBcdMajor: 5, packetSize: 64 });
  // The board answers every byte with its complement, as a stand-in for the loader.
  d.onBoardReceive = (bytes) => d.boardSends(bytes.map((b) => b ^ 0xff));
  const t = await openGapuinoTransport(d, { ...fast, baud: 921600 });
  try {
    assert.equal(d.controlLog[2]!.value, 0x8003, 'FT2232C: 921600 baud = 3.25 on the 3 MHz base');
    const sent = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff);
    await t.write(sent);
    const got = await readN(t, sent.length);
    assert.deepEqual(got, sent.map((b) => b ^ 0xff));
    assert.ok(d.inLengths.every((n) => n === 64 * 8), 'IN transfers ask for whole packets');
    assert.deepEqual(t.lineErrors, []);
  } finally {
    await t.close();
  }
});

test('unreadable descriptors: the FT2232 endpoint layout and the link speed decide (H chip on a full-speed port)', async () => {
  const d = new FakeFtdiDevice({ speed: 'full', descriptorsFail: true });
  assert.equal(d.packetSize, 64);
  d.onBoardReceive = (bytes) => d.boardSends(bytes);
  const t = await openGapuinoTransport(d, fast);
  try {
    const sent = Uint8Array.from({ length: 700 }, (_, i) => (i * 13) & 0xff);
    await t.write(sent);
    assert.deepEqual(await readN(t, sent.length), sent);
    assert.ok(d.inLengths.every((n) => n === 64 * 8));
  } finally {
    await t.close();
  }
});

test('large writes go out in chunks of at most 4 KiB, in order, and concurrent writes do not interleave', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  try {
    const a = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    const b = Uint8Array.from({ length: 5000 }, () => 0xaa);
    await Promise.all([t.write(a), t.write(b), t.write(new Uint8Array(0))]);
    assert.ok(d.outTransfers.every((c) => c.length <= 4096));
    const all = Uint8Array.from(d.outTransfers.flatMap((c) => [...c]));
    assert.deepEqual(all, Uint8Array.from([...a, ...b]));
  } finally {
    await t.close();
  }
});

test('read times out with TransportTimeoutError and the transport keeps working afterwards', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  try {
    const t0 = Date.now();
    await expectReject(t.read(80), TransportTimeoutError, /no bytes from GAPuino on USB 1-2 within 80 ms/);
    const waited = Date.now() - t0;
    assert.ok(waited >= 75 && waited < 1000, `waited ${waited} ms`);
    d.boardSends([1, 2, 3]);
    assert.deepEqual([...(await readN(t, 3))], [1, 2, 3]);
  } finally {
    await t.close();
  }
});

test('a silent chip (IN transfers time out in USB) is not an error: reads time out, then data flows', async () => {
  const d = new FakeFtdiDevice();
  d.mute = true;
  const t = await openGapuinoTransport(d, fast);
  try {
    await expectReject(t.read(150), TransportTimeoutError);
    assert.equal(t.closed, false);
    d.mute = false;
    d.boardSends([42]);
    assert.deepEqual([...(await t.read(1000))], [42]);
  } finally {
    await t.close();
  }
});

test('unplug mid-read: the pending read and later writes fail with TransportClosedError; close still works', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  const pending = t.read(5000);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  d.unplug();
  await expectReject(pending, TransportClosedError, /GAPuino on USB 1-2 was unplugged/);
  assert.ok(Date.now() - t0 < 1000, 'the read fails as soon as the transfer does, not at its timeout');
  await expectReject(t.write(Uint8Array.of(1)), TransportClosedError);
  await expectReject(t.read(100), TransportClosedError);
  await t.close();
  assert.equal(d.opened, false);
});

test('unplug reported by the USB host closes the transport even while no transfer notices', async () => {
  const d = new FakeFtdiDevice();
  const host = new FakeUsbHost([d]);
  d.mute = true; // the IN transfer in flight would only end at its 5 s timeout
  const t = await openGapuinoTransport(d, { ...fast, pollMs: 5000, host });
  const pending = t.read(10_000);
  assert.equal(host.listenerCount(), 1);
  const t0 = Date.now();
  host.unplug(d);
  await expectReject(pending, TransportClosedError, /unplugged/);
  assert.ok(Date.now() - t0 < 500);
  assert.equal(host.listenerCount(), 0, 'the transport stops listening once closed');
  await t.close();
});

test('bytes received before an unplug are still delivered, then TransportClosedError', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  d.boardSends([9, 8, 7]);
  await new Promise((r) => setTimeout(r, 60));
  d.unplug();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([...(await t.read(100))], [9, 8, 7]);
  await expectReject(t.read(100), TransportClosedError);
  await t.close();
});

test('a write the UART never takes times out with TransportTimeoutError', async () => {
  const d = new FakeFtdiDevice();
  d.stallWrites = true;
  const t = await openGapuinoTransport(d, { ...fast, writeSlackMs: 100 });
  try {
    await expectReject(t.write(Uint8Array.of(1, 2, 3)), TransportTimeoutError, /did not take 3 bytes within 101 ms/);
  } finally {
    await t.close();
  }
});

test('close: pending reads fail with TransportClosedError, the port is released, close is idempotent', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, fast);
  const pending = expectReject(t.read(5000), TransportClosedError, /was closed/);
  await Promise.all([t.close(), t.close()]);
  await pending;
  await expectReject(t.write(Uint8Array.of(1)), TransportClosedError);
  assert.equal(d.releasedCount, 1);
  assert.equal(d.closeCount, 1);
});

test('UART line errors (overrun) are surfaced in words', async () => {
  const d = new FakeFtdiDevice();
  d.lineStatus = 0x62;
  const t = await openGapuinoTransport(d, fast);
  try {
    d.boardSends([5]);
    await t.read(1000);
    assert.match(t.lineErrors.join(), /overrun/);
  } finally {
    await t.close();
  }
});

test('permission denied on open: the exact udev rule commands and the plugdev group', async () => {
  const d = new FakeFtdiDevice();
  d.failOpenWith = 'open error: failed to open device (errno 13)';
  const e = await expectReject(openGapuinoTransport(d, fast), GapuinoUsbError);
  assert.equal(e.kind, 'permission');
  assert.ok(
    e.message.includes(
      'sudo cp resources/udev/99-tinym2-gapuino.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger',
    ),
    e.message,
  );
  assert.match(e.message, /unplug the board and plug it in again/);
  assert.match(e.message, /sudo usermod -aG plugdev \$USER/);
  for (const m of ['LIBUSB_ERROR_ACCESS', 'EACCES: permission denied', 'detachKernelDriver error: failed to detach kernel driver (errno 1)']) {
    assert.equal(classifyUsbError(new Error(m)), 'permission', m);
  }
});

test('port held by another program: "busy" advice; nothing is left claimed or open', async () => {
  const d = new FakeFtdiDevice();
  d.failDetachWith = 'detachKernelDriver error: failed to detach kernel driver (errno 16)';
  const e = await expectReject(openGapuinoTransport(d, fast), GapuinoUsbError, /in use by another program: close OpenOCD/);
  assert.equal(e.kind, 'busy');
  assert.equal(d.opened, false);
  assert.equal(d.claimed.size, 0);
});

test('an impossible baud rate is refused before the board is touched', async () => {
  const d = new FakeFtdiDevice({ chipBcdMajor: 5 });
  await expectReject(openGapuinoTransport(d, { ...fast, baud: 4_000_000 }), FtdiBaudError, /4000000 baud cannot be set on an FT2232C/);
  assert.equal(d.opened, false);
  assert.equal(d.controlLog.length, 0);
});

test('the UART port is a parameter: port A claims interface 0 and uses wIndex 1', async () => {
  const d = new FakeFtdiDevice();
  const t = await openGapuinoTransport(d, { ...fast, port: 'A' });
  try {
    assert.deepEqual([...d.claimed], [0]);
    assert.ok(d.controlLog.every((c) => (c.index & 0xff) === 1));
  } finally {
    await t.close();
  }
});

test('listing and hotplug with a fake host: only FT2232s, attach/detach events, stop() unsubscribes', async () => {
  const board = new FakeFtdiDevice({ bus: '3', ports: [1, 4], address: 9 });
  const other = new FakeFtdiDevice({ productId: 0x6001, address: 10 });
  const host = new FakeUsbHost([board, other]);
  const listed = await listUsbGapuinos(() => host);
  assert.deepEqual(listed.usb, { available: true });
  assert.deepEqual(listed.gapuinos, [{ id: 'usb-3-1.4', location: '3-1.4', serialNumber: 'FT5GAP8A', chip: 'ft2232h', name: 'GAPuino on USB 3-1.4' }]);

  const events: GapuinoHotplugEvent[] = [];
  const watch = await watchUsbGapuinos((e) => events.push(e), () => host);
  assert.equal(watch.gapuinos.length, 1);
  const second = new FakeFtdiDevice({ bus: '1', ports: [3], address: 11, serialNumber: null });
  host.plug(second);
  host.plug(new FakeFtdiDevice({ vendorId: 0x1234, address: 12 }));
  host.unplug(board);
  assert.deepEqual(
    events.map((e) => [e.type, e.gapuino.id, e.gapuino.serialNumber]),
    [
      ['attach', 'usb-1-3', undefined],
      ['detach', 'usb-3-1.4', 'FT5GAP8A'],
    ],
  );
  watch.stop();
  assert.equal(host.listenerCount(), 0);
  host.unplug(second);
  assert.equal(events.length, 2);
});

test('openUsbGapuino finds a board by its listed id, or says which are connected', async () => {
  const board = new FakeFtdiDevice();
  const host = new FakeUsbHost([board]);
  const e = await expectReject(openUsbGapuino('usb-9-9', { ...fast, load: () => host }), GapuinoUsbError, /No GAPuino at usb-9-9.*Connected now: usb-1-2/);
  assert.equal(e.kind, 'not_found');
  const t = await openUsbGapuino('usb-1-2', { ...fast, load: () => host });
  assert.equal(host.listenerCount(), 1, 'follows unplug through the host');
  await t.close();
  assert.equal(host.listenerCount(), 0);
});

test('the real usb package on this machine: nothing throws, USB state is reported', async () => {
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => rejections.push(r);
  process.on('unhandledRejection', onRejection);
  try {
    const listed = await listUsbGapuinos();
    const watch = await watchUsbGapuinos(() => undefined);
    watch.stop();
    if (!existsSync('/sys/bus/usb/devices')) {
      assert.equal(listed.usb.available, false);
      assert.match(listed.usb.reason ?? '', /USB unavailable on this machine \(getDevices error: \/sys\/bus\/usb\/devices\/ not found/);
      assert.deepEqual(listed.gapuinos, []);
      assert.deepEqual(watch.usb, listed.usb);
      const e = await expectReject(openUsbGapuino('usb-1-2'), GapuinoUsbError, /USB unavailable/);
      assert.equal(e.kind, 'usb_unavailable');
    } else {
      assert.equal(listed.usb.available, true);
    }
    // Give a stray promise inside the package time to reject, if it were going to.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(rejections, []);
  } finally {
    process.off('unhandledRejection', onRejection);
  }
});

test('the udev rule the permission advice names exists and grants plugdev access to 0403:6010 devices', () => {
  const repoRoot = resolve(import.meta.dirname, '../../..');
  const rules = readFileSync(resolve(repoRoot, UDEV_RULE_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  assert.equal(rules.length, 1);
  const pairs = Object.fromEntries([...rules[0]!.matchAll(/([A-Z]+(?:\{\w+\})?)\s*(==|=|\+=)\s*"([^"]*)"/g)].map((m) => [m[1], [m[2], m[3]]]));
  assert.deepEqual(pairs['SUBSYSTEM'], ['==', 'usb']);
  assert.deepEqual(pairs['ATTR{idVendor}'], ['==', FTDI_VENDOR_ID.toString(16).padStart(4, '0')]);
  assert.deepEqual(pairs['ATTR{idProduct}'], ['==', FT2232_PRODUCT_ID.toString(16)]);
  assert.deepEqual(pairs['GROUP'], ['=', 'plugdev']);
  assert.deepEqual(pairs['MODE'], ['=', '0660']);
});
