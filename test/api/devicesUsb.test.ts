import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApiEventPayload } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createDeviceHandlers } from '../../src-main/api/handlers/devices';
import { createServices, type ServiceContext } from '../../src-main/api/services';
import { buildSimulatedGapuinoLoader, SimulatedGapuino } from '../../src-main/devices/gapuino/simulatedGapuino';
import { TransportClosedError } from '../../src-main/devices/transport';
import { repoRoot } from '../../src-main/storage/appPaths';
import { FakeFtdiDevice, FakeUsbHost } from '../devices/gapuino/ftdiFakeDevice';

const root = mkdtempSync(join(tmpdir(), 'tm2-devices-usb-api-'));
const resourcesDir = join(repoRoot, 'resources');

/** The real services, with the devices group talking to `host` instead of the usb package. */
function servicesWith(host: FakeUsbHost, events: EventBus): ServiceHandlers {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const ctx: ServiceContext = { paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events, version: 'test' };
  return { ...createServices(ctx), ...createDeviceHandlers(ctx, { usb: () => host }) };
}

test('a GAPuino on USB: hotplug events, and no permission to open it names the udev rule command', async () => {
  const host = new FakeUsbHost([new FakeFtdiDevice({ bus: '1', ports: [2] })]);
  const events = new EventBus();
  const hotplug: ApiEventPayload<'device.hotplug'>[] = [];
  events.subscribe((e, p) => e === 'device.hotplug' && hotplug.push(p as ApiEventPayload<'device.hotplug'>));
  const services = servicesWith(host, events);

  const listed = await dispatch(services, 'devices.list', {});
  assert.ok(listed.ok);
  const devices = (listed.result as { devices: { id: string; kind: string; state: string }[] }).devices;
  assert.deepEqual(devices.map((d) => [d.id, d.kind, d.state]), [['gapuino:usb-1-2', 'gapuino', 'connected']]);

  const second = new FakeFtdiDevice({ bus: '1', ports: [3] });
  host.plug(second);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(hotplug.at(-1), { id: 'gapuino:usb-1-3', change: 'attached' });
  host.unplug(second);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(hotplug.at(-1), { id: 'gapuino:usb-1-3', change: 'detached' });

  host.devices[0]!.failOpenWith = 'open error: failed to open device (errno 13)';
  const r = await dispatch(services, 'devices.deploy', { deviceId: 'gapuino:usb-1-2', modelId: 'coswara-gender-audio' });
  assert.ok(!r.ok);
  assert.match(r.error.message, /No permission to open the GAPuino.*sudo cp resources\/udev\/99-tinym2-gapuino\.rules \/etc\/udev\/rules\.d\//);
});

test('a GAPuino unplugged in the middle of a deploy: the technician is told it kept its previous model', async () => {
  // The fake FTDI chip's UART is wired to the firmware's host loader, so the real protocol runs over "USB".
  const loader = buildSimulatedGapuinoLoader(join(repoRoot, 'firmware'), join(root, 'loader-build'));
  const board = SimulatedGapuino.start({ loaderPath: loader, flashImage: join(root, 'usb-board.img') });
  const chip = new FakeFtdiDevice({ bus: '1', ports: [2] });
  const host = new FakeUsbHost([chip]);
  let uartBytes = 0;
  chip.onBoardReceive = (b) => {
    uartBytes += b.length;
    // Pulled out once a few kilobytes of the model are across.
    if (uartBytes > 4000 && host.devices.includes(chip)) host.unplug(chip);
    else void board.write(b).catch(() => undefined);
  };
  const pump = (async () => {
    for (;;) {
      try {
        chip.boardSends(await board.read(60_000));
      } catch (e) {
        if (e instanceof TransportClosedError) return;
      }
    }
  })();
  const events = new EventBus();
  const progress: ApiEventPayload<'device.deployProgress'>[] = [];
  events.subscribe((e, p) => e === 'device.deployProgress' && progress.push(p as ApiEventPayload<'device.deployProgress'>));
  try {
    const services = servicesWith(host, events);
    const r = await dispatch(services, 'devices.deploy', { deviceId: 'gapuino:usb-1-2', modelId: 'coswara-gender-audio' });
    assert.ok(!r.ok, 'the deploy cannot succeed without its board');
    console.log(`unplugged mid-deploy: ${r.error.message}`);
    assert.match(r.error.message, /still runs its previous model/);
    assert.ok(progress.some((p) => p.stage === 'transfer'), 'it was unplugged during the transfer');
    assert.equal(progress.at(-1)!.stage, 'failed');
  } finally {
    await board.close();
    await pump;
  }
});
