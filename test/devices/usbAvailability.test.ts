import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { checkUsb, loadUsbHost, openUsbHost } from '../../src-main/devices/usbAvailability';
import { FakeFtdiDevice, FakeUsbHost } from './gapuino/ftdiFakeDevice';

test('the real usb package loads and exposes the WebUSB calls this app uses', () => {
  const host = loadUsbHost();
  assert.equal(typeof host.getDevices, 'function');
  assert.equal(typeof host.addEventListener, 'function');
  assert.equal(typeof host.removeEventListener, 'function');
  // The device class the package hands out has every member UsbDeviceHandle declares.
  const require = createRequire(import.meta.url);
  require('usb'); // installs the WebUSB wrappers (transferIn, controlTransferOut, …) on the native class
  const proto = (require('usb/index.js') as { UsbDevice: { prototype: object } }).UsbDevice.prototype;
  const members = ['vendorId', 'productId', 'deviceVersionMajor', 'serialNumber', 'productName', 'bus', 'address', 'ports', 'speed', 'opened', 'configuration',
    'open', 'close', 'claimInterface', 'releaseInterface', 'controlTransferOut', 'transferIn', 'transferOut', 'detachKernelDriver', 'attachKernelDriver'];
  for (const m of members) assert.ok(Object.getOwnPropertyDescriptor(proto, m), `UsbDevice.${m}`);
  // (endpoint, length, timeout = 1000): the trailing timeout is the package's extension.
  const fn = (name: string) => (proto as Record<string, unknown>)[name] as (...a: unknown[]) => unknown;
  assert.match(fn('transferIn').toString(), /\(endpointNumber, length, timeout = DEFAULT_TIMEOUT\)/);
  assert.match(fn('transferOut').toString(), /\(endpointNumber, data, timeout = DEFAULT_TIMEOUT\)/);
  assert.match(fn('controlTransferOut').toString(), /\(setup, data, timeout = DEFAULT_TIMEOUT\)/);
});

test('real usb package on this machine: checkUsb reports the state with its reason and never throws', async () => {
  const usb = await checkUsb();
  if (existsSync('/sys/bus/usb/devices')) {
    assert.deepEqual(usb, { available: true });
    return;
  }
  assert.equal(usb.available, false);
  // The reason carries nusb's own words, so a technician sees what is missing.
  assert.match(usb.reason ?? '', /^USB unavailable on this machine \(getDevices error: \/sys\/bus\/usb\/devices\/ not found \(errno 2\)\)\. Pi devices over the network still work\.$/);
});

test('a native module that does not load is reported, not thrown', async () => {
  const usb = await checkUsb(() => {
    throw new Error('Cannot find native binding');
  });
  assert.deepEqual(usb, { available: false, reason: 'USB unavailable: the usb native module did not load (Cannot find native binding)' });
});

test('a working host: available, and openUsbHost hands back its devices', async () => {
  const host = new FakeUsbHost([new FakeFtdiDevice()]);
  assert.deepEqual(await checkUsb(() => host), { available: true });
  const r = await openUsbHost(() => host);
  assert.ok(r.host);
  assert.equal(r.devices.length, 1);
});
