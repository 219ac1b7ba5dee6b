/**
 * A GAPuino on USB: its FTDI FT2232 bridge found, followed through hotplug, and its UART port opened as
 * a ByteTransport for the loader protocol. Port A of the FT2232 carries the board's JTAG and port B its
 * UART (GreenWaves' boards show up as /dev/ttyUSB0 = JTAG, /dev/ttyUSB1 = UART), so B is the default.
 *
 * Everything goes through the `usb` package's WebUSB API (UsbHost / UsbDeviceHandle), which tests
 * replace with a fake of the same shape.
 */
import { TransportClosedError, TransportTimeoutError, type ByteTransport } from '../transport';
import {
  openUsbHost,
  loadUsbHost,
  type UsbAvailability,
  type UsbConnectionListener,
  type UsbDeviceHandle,
  type UsbHost,
  type UsbHostLoader,
} from '../usbAvailability';
import { ftdiDivisor, type FtdiChip } from './ftdiBaud';
import { ftdiInterfaceNumber, LINE_8N1, uartSetupRequests, type FtdiFlowControl, type FtdiLineFormat, type FtdiPort } from './ftdiControl';
import { describeLineErrors, stripModemStatus } from './ftdiPackets';

export const FTDI_VENDOR_ID = 0x0403;
export const FT2232_PRODUCT_ID = 0x6010;
export const GAPUINO_UART_PORT: FtdiPort = 'B';
export const GAPUINO_DEFAULT_BAUD = 115_200;
export const UDEV_RULE_FILE = 'resources/udev/99-tinym2-gapuino.rules';

export interface UsbGapuinoInfo {
  /** Stable while the board stays in the same USB port: "usb-<bus>-<port chain>". */
  readonly id: string;
  /** Bus and port chain as Linux names them in sysfs ("1-2.3"). */
  readonly location: string;
  readonly serialNumber?: string;
  readonly chip: FtdiChip;
  /** For people: "GAPuino on USB 1-2.3". */
  readonly name: string;
}

export type GapuinoUsbErrorKind = 'usb_unavailable' | 'not_found' | 'permission' | 'busy' | 'unplugged' | 'setup_failed' | 'open_failed';

export class GapuinoUsbError extends Error {
  override readonly name = 'GapuinoUsbError';
  constructor(
    readonly kind: GapuinoUsbErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function isUsbGapuino(d: UsbDeviceHandle): boolean {
  return d.vendorId === FTDI_VENDOR_ID && d.productId === FT2232_PRODUCT_ID;
}

/** bcdDevice 5.00 is the full-speed FT2232C/D; 7.00 the high-speed FT2232H (the GAPuino's). */
export function ftdiChipOf(d: UsbDeviceHandle): FtdiChip {
  return d.deviceVersionMajor === 5 ? 'ft2232c' : 'ft2232h';
}

export function usbLocation(d: UsbDeviceHandle): string {
  const bus = d.bus ?? '?';
  return d.ports && d.ports.length > 0 ? `${bus}-${d.ports.join('.')}` : `${bus}-addr${d.address ?? '?'}`;
}

/** The getter opens the device when sysfs has no serial string, which can fail without permission. */
function serialOf(d: UsbDeviceHandle): string | undefined {
  try {
    return d.serialNumber ?? undefined;
  } catch {
    return undefined;
  }
}

export function describeUsbGapuino(d: UsbDeviceHandle): UsbGapuinoInfo {
  const location = usbLocation(d);
  const serialNumber = serialOf(d);
  return { id: `usb-${location}`, location, ...(serialNumber ? { serialNumber } : {}), chip: ftdiChipOf(d), name: `GAPuino on USB ${location}` };
}

function sameDevice(a: UsbDeviceHandle, b: UsbDeviceHandle): boolean {
  if (a === b) return true;
  return a.vendorId === b.vendorId && a.productId === b.productId && a.bus !== undefined && a.bus === b.bus && a.address !== undefined && a.address === b.address;
}

/** Every FT2232 on the machine (a GAPuino cannot be told from other FT2232 boards before the loader answers). */
export async function listUsbGapuinos(load: UsbHostLoader = loadUsbHost): Promise<{ usb: UsbAvailability; gapuinos: UsbGapuinoInfo[] }> {
  const r = await openUsbHost(load);
  if (!r.host) return { usb: r.availability, gapuinos: [] };
  return { usb: { available: true }, gapuinos: r.devices.filter(isUsbGapuino).map(describeUsbGapuino) };
}

export interface GapuinoHotplugEvent {
  readonly type: 'attach' | 'detach';
  readonly gapuino: UsbGapuinoInfo;
}

export interface GapuinoWatch {
  readonly usb: UsbAvailability;
  /** The boards present when watching started. */
  readonly gapuinos: UsbGapuinoInfo[];
  stop(): void;
}

/**
 * Calls `onEvent` when an FT2232 is plugged in or out. Listeners are only added once getDevices()
 * has succeeded: the usb package lists devices on the first listener without catching, which on a
 * machine without USB is an unhandled rejection (and so a crash under Node's default policy).
 */
export async function watchUsbGapuinos(onEvent: (e: GapuinoHotplugEvent) => void, load: UsbHostLoader = loadUsbHost): Promise<GapuinoWatch> {
  const r = await openUsbHost(load);
  if (!r.host) return { usb: r.availability, gapuinos: [], stop() {} };
  const host = r.host;
  const forward =
    (type: GapuinoHotplugEvent['type']): UsbConnectionListener =>
    (ev) => {
      if (!ev.device || !isUsbGapuino(ev.device)) return;
      try {
        onEvent({ type, gapuino: describeUsbGapuino(ev.device) });
      } catch (e) {
        // A throwing listener inside an EventTarget dispatch would surface as an uncaught exception.
        console.error('GAPuino hotplug listener failed:', e);
      }
    };
  const onConnect = forward('attach');
  const onDisconnect = forward('detach');
  host.addEventListener('connect', onConnect);
  host.addEventListener('disconnect', onDisconnect);
  let stopped = false;
  return {
    usb: { available: true },
    gapuinos: r.devices.filter(isUsbGapuino).map(describeUsbGapuino),
    stop() {
      if (stopped) return;
      stopped = true;
      host.removeEventListener('connect', onConnect);
      host.removeEventListener('disconnect', onDisconnect);
    },
  };
}

type UsbErrorClass = 'permission' | 'busy' | 'disconnected' | 'timeout' | 'other';

/**
 * The usb package (nusb underneath) reports failures as strings: "open error: failed to open device
 * (errno 13)", "transferIn error: Disconnected", "transferIn error: Cancelled" (its timeout cancels the
 * transfer). libusb-style names are matched too, for other backends.
 */
export function classifyUsbError(e: unknown): UsbErrorClass {
  const m = e instanceof Error ? e.message : String(e);
  if (/errno 13\b|\(errno 1\)|EACCES|EPERM|LIBUSB_ERROR_ACCESS|permission denied|access denied/i.test(m)) return 'permission';
  if (/Disconnected|errno 19\b|ENODEV|no such device|LIBUSB_ERROR_NO_DEVICE/i.test(m)) return 'disconnected';
  if (/errno 16\b|EBUSY|busy|LIBUSB_ERROR_BUSY/i.test(m)) return 'busy';
  if (/Cancelled|timed out|LIBUSB_ERROR_TIMEOUT|TIMED_OUT/i.test(m)) return 'timeout';
  return 'other';
}

export function permissionAdvice(location: string): string {
  return (
    `No permission to open the GAPuino (FTDI ${FTDI_VENDOR_ID.toString(16).padStart(4, '0')}:${FT2232_PRODUCT_ID.toString(16)}) on USB ${location}. ` +
    `Install the udev rule that comes with TinyM2 Studio: sudo cp ${UDEV_RULE_FILE} /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger — ` +
    'then unplug the board and plug it in again. The rule gives the plugdev group access: if `id -nG` does not list plugdev, ' +
    'run sudo usermod -aG plugdev $USER and log out and back in.'
  );
}

function busyAdvice(location: string, port: FtdiPort): string {
  return (
    `The GAPuino's UART (FTDI port ${port}) on USB ${location} is in use by another program: close OpenOCD, a serial terminal ` +
    `(screen, minicom, picocom on /dev/ttyUSB*) or another TinyM2 Studio window, then try again.`
  );
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface GapuinoTransportOptions {
  /** FT2232 port wired to the GAP8 UART; B on the GAPuino. */
  readonly port?: FtdiPort;
  readonly baud?: number;
  readonly format?: FtdiLineFormat;
  readonly flow?: FtdiFlowControl;
  readonly latencyMs?: number;
  readonly dtr?: boolean;
  readonly rts?: boolean;
  /** How long one IN transfer may wait; bounds how long close() waits for the reader. */
  readonly pollMs?: number;
  /** Extra time allowed per OUT chunk on top of its time on the wire. */
  readonly writeSlackMs?: number;
  /** Lets the transport close itself the moment the host reports the board unplugged. */
  readonly host?: UsbHost;
}

interface Endpoints {
  readonly interfaceNumber: number;
  readonly inEndpoint: number;
  readonly outEndpoint: number;
  readonly inPacketSize: number;
}

/** From the descriptors when they can be read; else the FT2232's fixed layout (A: 0x81/0x02, B: 0x83/0x04). */
function endpointsOf(d: UsbDeviceHandle, interfaceNumber: number, chip: FtdiChip): Endpoints {
  try {
    const iface = d.configuration?.interfaces.find((i) => i.interfaceNumber === interfaceNumber);
    const eps = iface?.alternate.endpoints ?? [];
    const inEp = eps.find((e) => e.direction === 'in' && e.type === 'bulk');
    const outEp = eps.find((e) => e.direction === 'out' && e.type === 'bulk');
    if (inEp && outEp) return { interfaceNumber, inEndpoint: inEp.endpointNumber, outEndpoint: outEp.endpointNumber, inPacketSize: inEp.packetSize };
  } catch {
    // Fall through to the documented layout.
  }
  // An FT2232H on a full-speed port has 64-byte packets too, so the link speed wins over the chip.
  const highSpeed = d.speed !== undefined ? d.speed === 'high' : chip === 'ft2232h';
  return { interfaceNumber, inEndpoint: 1 + 2 * interfaceNumber, outEndpoint: 2 + 2 * interfaceNumber, inPacketSize: highSpeed ? 512 : 64 };
}

/** Best-effort undo of open(): each step may fail once the board is gone, and none of that matters then. */
async function release(d: UsbDeviceHandle, interfaceNumber: number, claimed: boolean, detached: boolean): Promise<void> {
  if (claimed) await d.releaseInterface(interfaceNumber).catch(() => undefined);
  // Give the UART back to the kernel so /dev/ttyUSB1 exists again for other tools.
  if (detached && d.attachKernelDriver) await d.attachKernelDriver(interfaceNumber).catch(() => undefined);
  await d.close().catch(() => undefined);
}

/** Opens, claims and configures the FTDI UART port of `device`. Errors are GapuinoUsbError with advice. */
export async function openGapuinoTransport(device: UsbDeviceHandle, options: GapuinoTransportOptions = {}): Promise<FtdiTransport> {
  const port = options.port ?? GAPUINO_UART_PORT;
  const chip = ftdiChipOf(device);
  const location = usbLocation(device);
  const interfaceNumber = ftdiInterfaceNumber(port);
  const baud = options.baud ?? GAPUINO_DEFAULT_BAUD;
  // Built before anything is opened, so an impossible baud rate fails without touching the board.
  const setup = uartSetupRequests({
    port,
    chip,
    baud,
    format: options.format ?? LINE_8N1,
    flow: options.flow ?? 'none',
    latencyMs: options.latencyMs ?? 2,
    dtr: options.dtr ?? true,
    rts: options.rts ?? true,
  });

  const fail = (e: unknown, doing: string): GapuinoUsbError => {
    const c = classifyUsbError(e);
    if (c === 'permission') return new GapuinoUsbError('permission', permissionAdvice(location));
    if (c === 'busy') return new GapuinoUsbError('busy', busyAdvice(location, port));
    if (c === 'disconnected') return new GapuinoUsbError('unplugged', `The GAPuino on USB ${location} was unplugged while ${doing}. Plug it in and try again.`);
    return new GapuinoUsbError(doing.startsWith('configuring') ? 'setup_failed' : 'open_failed', `Could not open the GAPuino on USB ${location} (${doing}): ${text(e)}`);
  };

  try {
    await device.open();
  } catch (e) {
    throw fail(e, 'opening the device');
  }
  let claimed = false;
  let detached = false;
  try {
    if (device.detachKernelDriver) {
      // ftdi_sio usually holds the port; "no kernel driver attached" is the normal failure and harmless.
      // A real obstacle shows up as claimInterface failing with "busy".
      try {
        await device.detachKernelDriver(interfaceNumber);
        detached = true;
      } catch (e) {
        if (classifyUsbError(e) === 'permission') throw e;
      }
    }
    try {
      await device.claimInterface(interfaceNumber);
      claimed = true;
    } catch (e) {
      throw fail(e, `claiming FTDI port ${port}`);
    }
    const endpoints = endpointsOf(device, interfaceNumber, chip);
    for (const r of setup) {
      const { requestType, recipient, request, value, index } = r;
      try {
        // The package's wrapper converts `data` unconditionally, so an empty array must be passed.
        const res = await device.controlTransferOut({ requestType, recipient, request, value, index }, new Uint8Array(0), 1000);
        if (res.status !== 'ok') throw new Error(`status ${res.status}`);
      } catch (e) {
        throw fail(e, `configuring the FTDI UART (request 0x${request.toString(16)}, value 0x${value.toString(16)}, index 0x${index.toString(16)})`);
      }
    }
    const transport = new FtdiTransport(device, endpoints, {
      description: `GAPuino on USB ${location}`,
      pollMs: options.pollMs ?? 250,
      writeSlackMs: options.writeSlackMs ?? 1000,
      baud: ftdiDivisor(baud, chip).actualBaud,
      onClose: () => release(device, interfaceNumber, true, detached),
      host: options.host,
    });
    transport.start();
    return transport;
  } catch (e) {
    await release(device, interfaceNumber, claimed, detached);
    throw e instanceof GapuinoUsbError ? e : fail(e, 'opening the device');
  }
}

/** Finds the board by the id from listUsbGapuinos() and opens its UART; follows unplugging. */
export async function openUsbGapuino(id: string, options: GapuinoTransportOptions & { readonly load?: UsbHostLoader } = {}): Promise<FtdiTransport> {
  const r = await openUsbHost(options.load ?? loadUsbHost);
  if (!r.host) throw new GapuinoUsbError('usb_unavailable', r.availability.reason ?? 'USB unavailable');
  const boards = r.devices.filter(isUsbGapuino);
  const device = boards.find((d) => describeUsbGapuino(d).id === id);
  if (!device) {
    const present = boards.map((d) => describeUsbGapuino(d).id);
    throw new GapuinoUsbError('not_found', `No GAPuino at ${id}: it may have been unplugged or moved to another port. Connected now: ${present.length ? present.join(', ') : 'none'}.`);
  }
  return openGapuinoTransport(device, { ...options, host: options.host ?? r.host });
}

interface TransportConfig {
  readonly description: string;
  readonly pollMs: number;
  readonly writeSlackMs: number;
  readonly baud: number;
  readonly onClose: () => Promise<void>;
  readonly host: UsbHost | undefined;
}

interface Waiter {
  resolve(bytes: Uint8Array): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** FTDI queues at most a few KiB; smaller OUT transfers keep each one's timeout meaningful. */
const WRITE_CHUNK = 4096;

/**
 * One reader loop keeps a single IN transfer in flight (nusb allows only one per endpoint) and
 * queues the stripped bytes; read() takes from that queue. Writes are serialised.
 */
export class FtdiTransport implements ByteTransport {
  readonly description: string;
  private readonly queue: Uint8Array[] = [];
  private readonly waiters: Waiter[] = [];
  private closedError: TransportClosedError | undefined;
  private reader: Promise<void> = Promise.resolve();
  private writes: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private lineErrorBits = 0;
  private readonly onHostDisconnect: UsbConnectionListener;

  constructor(
    private readonly device: UsbDeviceHandle,
    private readonly endpoints: Endpoints,
    private readonly config: TransportConfig,
  ) {
    this.description = config.description;
    this.onHostDisconnect = (ev) => {
      if (ev.device && sameDevice(ev.device, device)) this.shutdown(`${this.description} was unplugged`);
    };
  }

  /** UART receive errors seen so far (overrun, parity, framing, break), in words; empty when clean. */
  get lineErrors(): string[] {
    return describeLineErrors(this.lineErrorBits);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  start(): void {
    this.config.host?.addEventListener('disconnect', this.onHostDisconnect);
    this.reader = this.readLoop();
  }

  private async readLoop(): Promise<void> {
    const { inEndpoint, inPacketSize } = this.endpoints;
    // Several packets per transfer: a burst from the board arrives in one round trip.
    const length = inPacketSize * 8;
    while (!this.closedError) {
      let data: DataView | undefined;
      try {
        const r = await this.device.transferIn(inEndpoint, length, this.config.pollMs);
        if (r.status !== 'ok') {
          this.shutdown(`${this.description}: the UART's IN endpoint reported ${r.status}`);
          break;
        }
        data = r.data;
      } catch (e) {
        if (this.closedError) break;
        const c = classifyUsbError(e);
        if (c === 'timeout') continue;
        this.shutdown(c === 'disconnected' ? `${this.description} was unplugged` : `${this.description}: USB read failed (${text(e)})`);
        break;
      }
      if (this.closedError || !data) continue;
      const p = stripModemStatus(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), inPacketSize);
      this.lineErrorBits |= p.lineErrors;
      if (p.data.length > 0) this.deliver(p.data);
    }
  }

  private deliver(bytes: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(bytes);
    } else {
      this.queue.push(bytes);
    }
  }

  private takeQueued(): Uint8Array {
    const total = this.queue.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.queue.splice(0)) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Marks the transport closed and fails every pending read; the USB clean-up is close()'s. */
  private shutdown(reason: string): void {
    if (this.closedError) return;
    this.closedError = new TransportClosedError(reason);
    this.config.host?.removeEventListener('disconnect', this.onHostDisconnect);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.closedError);
    }
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return Promise.reject(new RangeError(`read timeout must be a non-negative number of ms, got ${timeoutMs}`));
    // Bytes that arrived before the board went away are still the caller's.
    if (this.queue.length > 0) return Promise.resolve(this.takeQueued());
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new TransportTimeoutError(`no bytes from ${this.description} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const next = this.writes.then(() => this.writeNow(bytes));
    // A failed write must not poison the ones queued after it.
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async writeNow(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      if (this.closedError) throw this.closedError;
      const chunk = bytes.slice(at, at + WRITE_CHUNK);
      // 10 bits per byte on the wire (8N1), twice over for margin, plus slack for USB scheduling.
      const timeoutMs = Math.ceil(this.config.writeSlackMs + (2 * chunk.length * 10 * 1000) / this.config.baud);
      let written: number;
      try {
        const r = await this.device.transferOut(this.endpoints.outEndpoint, chunk, timeoutMs);
        if (r.status !== 'ok') throw new Error(`status ${r.status}`);
        written = r.bytesWritten;
      } catch (e) {
        if (this.closedError) throw this.closedError;
        const c = classifyUsbError(e);
        if (c === 'timeout') throw new TransportTimeoutError(`${this.description} did not take ${chunk.length} bytes within ${timeoutMs} ms (is the board's UART stalled?)`);
        if (c === 'disconnected') {
          this.shutdown(`${this.description} was unplugged`);
          throw this.closedError ?? new TransportClosedError(`${this.description} was unplugged`);
        }
        throw new Error(`${this.description}: USB write failed (${text(e)})`);
      }
      if (written <= 0) throw new Error(`${this.description}: USB write accepted no bytes`);
      at += written;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shutdown(`${this.description} was closed`);
      // The reader's transfer ends within pollMs; releasing the interface under it would fail it noisily.
      await this.reader;
      await this.writes;
      await this.config.onClose();
    })();
    return this.closing;
  }
}
