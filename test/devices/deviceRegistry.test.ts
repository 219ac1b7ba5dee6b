import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DeviceRegistry, usbGapuinoIdOf, type DeviceChange, type DeviceEntry } from '../../src-main/devices/deviceRegistry';
import { GapuinoUsbError } from '../../src-main/devices/gapuino/usbGapuino';
import { FakeFtdiDevice, FakeUsbHost } from './gapuino/ftdiFakeDevice';

const pi: DeviceEntry = { id: 'pi:clinic-1', kind: 'pi', name: 'Clinic Pi', state: 'connected', model: 'cough-v3' };

test('lists USB GAPuinos and the Pis from the Pi hook; busy boards show as busy', async () => {
  const host = new FakeUsbHost([new FakeFtdiDevice({ bus: '2', ports: [1] })]);
  const reg = new DeviceRegistry({ usb: () => host, pis: { list: async () => [pi] } });
  const first = await reg.list();
  assert.deepEqual(first.usb, { available: true });
  assert.deepEqual(first.devices, [{ id: 'gapuino:usb-2-1', kind: 'gapuino', name: 'GAPuino on USB 2-1 (serial FT5GAP8A)', state: 'connected' }, pi]);
  assert.equal(usbGapuinoIdOf(first.devices[0]!.id), 'usb-2-1');
  assert.equal(usbGapuinoIdOf(pi.id), undefined);
  reg.setBusy('gapuino:usb-2-1', true);
  assert.equal((await reg.list()).devices[0]!.state, 'busy');
});

test('a failing Pi source costs only the Pis', async () => {
  const host = new FakeUsbHost([new FakeFtdiDevice()]);
  const reg = new DeviceRegistry({ usb: () => host, pis: { list: async () => Promise.reject(new Error('no network')) } });
  assert.equal((await reg.list()).devices.length, 1);
});

test('hotplug: attach and detach reach listeners until stop()', async () => {
  const host = new FakeUsbHost();
  const reg = new DeviceRegistry({ usb: () => host });
  const changes: DeviceChange[] = [];
  const off = reg.onChange((c) => changes.push(c));
  assert.deepEqual(await Promise.all([reg.start(), reg.start()]), [{ available: true }, { available: true }]);
  assert.equal(host.listenerCount(), 2, 'one subscription even when started twice');
  const d = new FakeFtdiDevice({ serialNumber: null });
  host.plug(d);
  reg.setBusy('gapuino:usb-1-2', true);
  host.unplug(d);
  assert.deepEqual(changes, [
    { type: 'attach', device: { id: 'gapuino:usb-1-2', kind: 'gapuino', name: 'GAPuino on USB 1-2', state: 'connected' } },
    { type: 'detach', device: { id: 'gapuino:usb-1-2', kind: 'gapuino', name: 'GAPuino on USB 1-2', state: 'disconnected' } },
  ]);
  off();
  reg.stop();
  assert.equal(host.listenerCount(), 0);
});

test('with the real usb package on this machine the registry still lists the Pis', async () => {
  const reg = new DeviceRegistry({ pis: { list: async () => [pi] } });
  const listing = await reg.list();
  const usb = await reg.start();
  reg.stop();
  assert.deepEqual(listing.devices.filter((d) => d.kind === 'pi'), [pi]);
  if (!existsSync('/sys/bus/usb/devices')) {
    assert.equal(listing.usb.available, false);
    assert.match(listing.usb.reason ?? '', /USB unavailable/);
    assert.deepEqual(usb, listing.usb);
  }
});

test('openGapuino: the board is busy while open, a second open is refused, close frees it', async () => {
  const d = new FakeFtdiDevice();
  d.onBoardReceive = (b) => d.boardSends(b);
  const reg = new DeviceRegistry({ usb: () => new FakeUsbHost([d]) });
  const t = await reg.openGapuino('gapuino:usb-1-2', { pollMs: 50 });
  assert.equal(t.description, 'GAPuino on USB 1-2');
  assert.equal((await reg.list()).devices[0]!.state, 'busy');
  await assert.rejects(reg.openGapuino('gapuino:usb-1-2'), (e: unknown) => e instanceof GapuinoUsbError && e.kind === 'busy');
  await t.write(Uint8Array.of(7, 7));
  const got: number[] = [];
  while (got.length < 2) got.push(...(await t.read(1000)));
  assert.deepEqual(got, [7, 7]);
  await t.close();
  assert.equal((await reg.list()).devices[0]!.state, 'connected');
  await assert.rejects(reg.openGapuino('pi:clinic-1'), /not a USB GAPuino/);
  d.failOpenWith = 'open error: failed to open device (errno 13)';
  await assert.rejects(reg.openGapuino('gapuino:usb-1-2'), (e: unknown) => e instanceof GapuinoUsbError && e.kind === 'permission');
  assert.equal((await reg.list()).devices[0]!.state, 'connected', 'a failed open does not leave the board busy');
});
