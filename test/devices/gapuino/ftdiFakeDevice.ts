/**
 * A fake FT2232 behind the same WebUSB surface the usb package gives (UsbDeviceHandle / UsbHost),
 * behaving as the package and the chip do where it matters:
 * - error strings as nusb/usb 3.x word them ("open error: failed to open device (errno 13)",
 *   "transferIn error: Disconnected", "transferIn error: Cancelled" when a transfer times out);
 * - one IN transfer per endpoint at a time (a second one fails like nusb's "endpoint not found");
 * - controlTransferOut without data throws, as the package's wrapper does;
 * - every IN packet starts with two status bytes; with nothing to send the chip still answers with a
 *   status-only packet every latency period; claimInterface fails "busy" while ftdi_sio holds the port.
 */
import type {
  UsbConnectionListener,
  UsbControlSetup,
  UsbDeviceHandle,
  UsbHost,
  UsbInterfaceInfo,
  UsbTransferInResult,
  UsbTransferOutResult,
} from '../../../src-main/devices/usbAvailability';

export interface FakeFtdiOptions {
  readonly chipBcdMajor?: number;
  readonly packetSize?: number;
  readonly bus?: string;
  readonly address?: number;
  readonly ports?: number[];
  readonly serialNumber?: string | null;
  readonly vendorId?: number;
  readonly productId?: number;
  readonly speed?: 'full' | 'high';
  /** Reading the configuration descriptor fails (the getter throws, as the package's can). */
  readonly descriptorsFail?: boolean;
}

interface Sleeper {
  resolve(): void;
  timer: NodeJS.Timeout;
}

export class FakeFtdiDevice implements UsbDeviceHandle {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly serialNumber: string | null;
  readonly productName = 'Dual RS232-HS';
  readonly bus: string;
  readonly address: number;
  readonly ports: number[];
  readonly packetSize: number;
  readonly speed: 'full' | 'high';
  private readonly descriptorsFail: boolean;
  opened = false;

  /** What the test can set to make the device misbehave. */
  failOpenWith: string | undefined;
  failDetachWith: string | undefined;
  /** Chip answers nothing at all (not even status packets), so IN transfers run into their timeout. */
  mute = false;
  /** OUT transfers never complete (UART stuck), so they run into their timeout. */
  stallWrites = false;
  latencyMs = 2;
  modemStatus = 0x31;
  lineStatus = 0x60;
  /** The board's side: called with every byte written to port B. */
  onBoardReceive: ((bytes: Uint8Array) => void) | undefined;

  readonly controlLog: UsbControlSetup[] = [];
  readonly outTransfers: Uint8Array[] = [];
  readonly inLengths: number[] = [];
  readonly kernelDriver = new Set<number>([0, 1]);
  readonly claimed = new Set<number>();
  releasedCount = 0;
  closeCount = 0;

  private readonly rx: number[] = [];
  private readonly inFlight = new Set<number>();
  private readonly sleepers = new Set<Sleeper>();
  private unplugged = false;

  constructor(o: FakeFtdiOptions = {}) {
    this.vendorId = o.vendorId ?? 0x0403;
    this.productId = o.productId ?? 0x6010;
    this.deviceVersionMajor = o.chipBcdMajor ?? 7;
    this.speed = o.speed ?? 'high';
    this.packetSize = o.packetSize ?? (this.speed === 'high' ? 512 : 64);
    this.descriptorsFail = o.descriptorsFail ?? false;
    this.bus = o.bus ?? '1';
    this.address = o.address ?? 5;
    this.ports = o.ports ?? [2];
    this.serialNumber = o.serialNumber === undefined ? 'FT5GAP8A' : o.serialNumber;
  }

  get configuration(): { interfaces: UsbInterfaceInfo[] } {
    if (this.descriptorsFail) throw new Error('configuration error: failed to read descriptors');
    const ep = (endpointNumber: number, direction: 'in' | 'out') => ({ endpointNumber, direction, type: 'bulk', packetSize: this.packetSize });
    return {
      interfaces: [
        { interfaceNumber: 0, alternate: { endpoints: [ep(1, 'in'), ep(2, 'out')] } },
        { interfaceNumber: 1, alternate: { endpoints: [ep(3, 'in'), ep(4, 'out')] } },
      ],
    };
  }

  /** Bytes the GAP8 sends on its UART towards the host. */
  boardSends(bytes: Uint8Array | number[]): void {
    this.rx.push(...bytes);
  }

  /** Pulls the cable: transfers in flight fail now, everything after fails too. */
  unplug(): void {
    this.unplugged = true;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s: Sleeper = { resolve: () => resolve(), timer: setTimeout(() => (this.sleepers.delete(s), resolve()), ms) };
      this.sleepers.add(s);
    });
  }

  private requireOpen(op: string): void {
    if (!this.opened) throw new Error(`${op} error: invalid state`);
  }

  async open(): Promise<void> {
    if (this.unplugged) throw new Error('open error: failed to open device (errno 19)');
    if (this.failOpenWith) throw new Error(this.failOpenWith);
    this.opened = true;
  }

  async close(): Promise<void> {
    this.closeCount++;
    this.opened = false;
    this.claimed.clear();
  }

  async detachKernelDriver(n: number): Promise<void> {
    this.requireOpen('detachKernelDriver');
    if (this.failDetachWith) throw new Error(this.failDetachWith);
    if (!this.kernelDriver.has(n)) throw new Error('detachKernelDriver error: no kernel driver attached');
    this.kernelDriver.delete(n);
  }

  async attachKernelDriver(n: number): Promise<void> {
    this.requireOpen('attachKernelDriver');
    if (this.kernelDriver.has(n)) throw new Error('attachKernelDriver error: kernel driver already attached');
    this.kernelDriver.add(n);
  }

  async claimInterface(n: number): Promise<void> {
    this.requireOpen('claimInterface');
    if (this.unplugged) throw new Error('claimInterface error: failed to claim interface (errno 19)');
    if (this.kernelDriver.has(n)) throw new Error('claimInterface error: interface is busy (errno 16)');
    this.claimed.add(n);
  }

  async releaseInterface(n: number): Promise<void> {
    this.requireOpen('releaseInterface');
    if (!this.claimed.delete(n)) throw new Error('releaseInterface error: not claimed');
    this.releasedCount++;
  }

  async controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbTransferOutResult> {
    // The package's wrapper does new Uint8Array(data.buffer, …) with no undefined check.
    if (data === undefined) throw new TypeError("Cannot read properties of undefined (reading 'buffer')");
    if (this.claimed.size === 0) throw new Error('controlTransferOut error: invalid state');
    if (this.unplugged) throw new Error('controlTransferOut error: device disconnected');
    this.controlLog.push({ ...setup });
    return { bytesWritten: data.length, status: 'ok' };
  }

  private interfaceOf(endpointNumber: number): number {
    return endpointNumber <= 2 ? 0 : 1;
  }

  async transferIn(endpointNumber: number, length: number, timeoutMs = 1000): Promise<UsbTransferInResult> {
    if (!this.claimed.has(this.interfaceOf(endpointNumber))) throw new Error('transferIn error: endpoint not found');
    if (this.inFlight.has(endpointNumber)) throw new Error('transferIn error: endpoint not found');
    this.inFlight.add(endpointNumber);
    this.inLengths.push(length);
    try {
      if (this.unplugged) throw new Error('transferIn error: Disconnected');
      await this.sleep(this.mute ? timeoutMs : Math.min(this.latencyMs, timeoutMs));
      if (this.unplugged) throw new Error('transferIn error: Disconnected');
      if (this.mute) throw new Error('transferIn error: Cancelled');
      const payloadPerPacket = this.packetSize - 2;
      const packets = Math.max(1, Math.min(Math.floor(length / this.packetSize), Math.ceil(this.rx.length / payloadPerPacket)));
      const out: number[] = [];
      for (let p = 0; p < packets; p++) out.push(this.modemStatus, this.lineStatus, ...this.rx.splice(0, payloadPerPacket));
      // Hand back a view into a larger buffer, so code that ignores byteOffset breaks here.
      const backing = new Uint8Array(out.length + 7);
      backing.set(out, 3);
      return { data: new DataView(backing.buffer, 3, out.length), status: 'ok' };
    } finally {
      this.inFlight.delete(endpointNumber);
    }
  }

  async transferOut(endpointNumber: number, data: Uint8Array, timeoutMs = 1000): Promise<UsbTransferOutResult> {
    if (!this.claimed.has(this.interfaceOf(endpointNumber))) throw new Error('transferOut error: endpoint not found');
    if (this.unplugged) throw new Error('transferOut error: Disconnected');
    if (this.stallWrites) {
      await this.sleep(timeoutMs);
      throw new Error(this.unplugged ? 'transferOut error: Disconnected' : 'transferOut error: Cancelled');
    }
    const copy = Uint8Array.from(data);
    this.outTransfers.push(copy);
    this.onBoardReceive?.(copy);
    return { bytesWritten: copy.length, status: 'ok' };
  }
}

/** The usb package's `usb` object: lists devices and dispatches connect/disconnect. */
export class FakeUsbHost implements UsbHost {
  readonly devices: FakeFtdiDevice[] = [];
  private readonly listeners = { connect: new Set<UsbConnectionListener>(), disconnect: new Set<UsbConnectionListener>() };

  constructor(devices: FakeFtdiDevice[] = []) {
    this.devices.push(...devices);
  }

  async getDevices(): Promise<FakeFtdiDevice[]> {
    return [...this.devices];
  }

  addEventListener(type: 'connect' | 'disconnect', l: UsbConnectionListener): void {
    this.listeners[type].add(l);
  }

  removeEventListener(type: 'connect' | 'disconnect', l: UsbConnectionListener): void {
    this.listeners[type].delete(l);
  }

  listenerCount(): number {
    return this.listeners.connect.size + this.listeners.disconnect.size;
  }

  plug(d: FakeFtdiDevice): void {
    this.devices.push(d);
    for (const l of this.listeners.connect) l({ device: d });
  }

  unplug(d: FakeFtdiDevice): void {
    d.unplug();
    this.devices.splice(this.devices.indexOf(d), 1);
    for (const l of this.listeners.disconnect) l({ device: d });
  }
}
