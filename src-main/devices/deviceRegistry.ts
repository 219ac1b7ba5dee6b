/**
 * The devices the app can deploy to, in the shape of the API's devices.list: USB GAPuinos found here,
 * Raspberry Pis from whatever src-main/devices/pi/ plugs in as a PiDeviceSource. Follows USB hotplug
 * and tells listeners when a board comes or goes.
 */
import type { ByteTransport } from './transport';
import {
  GapuinoUsbError,
  listUsbGapuinos,
  openUsbGapuino,
  watchUsbGapuinos,
  type GapuinoTransportOptions,
  type GapuinoWatch,
  type UsbGapuinoInfo,
} from './gapuino/usbGapuino';
import { loadUsbHost, type UsbAvailability, type UsbHostLoader } from './usbAvailability';

/** Matches the element of devices.list's `devices` in src-main/api/contract.ts. */
export interface DeviceEntry {
  readonly id: string;
  readonly kind: 'gapuino' | 'pi';
  readonly name: string;
  readonly state: 'connected' | 'disconnected' | 'busy' | 'error';
  readonly model?: string;
}

export interface DeviceListing {
  readonly usb: UsbAvailability;
  readonly devices: DeviceEntry[];
}

/** The hook for Pi devices: src-main/devices/pi/ provides one that lists paired Pis and their state. */
export interface PiDeviceSource {
  list(): Promise<DeviceEntry[]>;
}

export interface DeviceChange {
  readonly type: 'attach' | 'detach';
  readonly device: DeviceEntry;
}

export interface DeviceRegistryOptions {
  readonly usb?: UsbHostLoader;
  readonly pis?: PiDeviceSource;
}

const GAPUINO_PREFIX = 'gapuino:';

/** Registry id of a USB board: "gapuino:usb-1-2.3"; the part after the prefix is what openUsbGapuino takes. */
export function gapuinoDeviceId(g: UsbGapuinoInfo): string {
  return GAPUINO_PREFIX + g.id;
}

/** The openUsbGapuino id inside a registry id, or undefined when the id is not a USB GAPuino's. */
export function usbGapuinoIdOf(deviceId: string): string | undefined {
  return deviceId.startsWith(GAPUINO_PREFIX) ? deviceId.slice(GAPUINO_PREFIX.length) : undefined;
}

export class DeviceRegistry {
  private readonly listeners = new Set<(c: DeviceChange) => void>();
  private readonly busy = new Set<string>();
  private watch: GapuinoWatch | undefined;

  constructor(private readonly options: DeviceRegistryOptions = {}) {}

  private entry(g: UsbGapuinoInfo): DeviceEntry {
    const id = gapuinoDeviceId(g);
    return { id, kind: 'gapuino', name: g.serialNumber ? `${g.name} (serial ${g.serialNumber})` : g.name, state: this.busy.has(id) ? 'busy' : 'connected' };
  }

  /** A fresh look at USB plus the Pis. A failing Pi source costs only the Pis, never the USB boards. */
  async list(): Promise<DeviceListing> {
    const [usb, pis] = await Promise.all([
      listUsbGapuinos(this.options.usb ?? loadUsbHost),
      this.options.pis ? this.options.pis.list().catch((): DeviceEntry[] => []) : Promise.resolve<DeviceEntry[]>([]),
    ]);
    return { usb: usb.usb, devices: [...usb.gapuinos.map((g) => this.entry(g)), ...pis] };
  }

  /** Starts following hotplug. Returns whether USB is usable (and why not); safe to call twice. */
  async start(): Promise<UsbAvailability> {
    if (this.watch) return this.watch.usb;
    const watch = await watchUsbGapuinos((e) => {
      const device = this.entry(e.gapuino);
      if (e.type === 'detach') this.busy.delete(device.id);
      const change: DeviceChange = { type: e.type, device: e.type === 'detach' ? { ...device, state: 'disconnected' } : device };
      for (const l of this.listeners) l(change);
    }, this.options.usb ?? loadUsbHost);
    // A concurrent start() may have won; keep one subscription.
    if (this.watch) watch.stop();
    else this.watch = watch;
    return this.watch.usb;
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
  }

  /** Returns the unsubscribe function. */
  onChange(listener: (c: DeviceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens a listed board's UART for the loader protocol. The board shows as busy until the transport is
   * closed, and a second open while it is busy is refused rather than fighting over the port.
   */
  async openGapuino(deviceId: string, options: Omit<GapuinoTransportOptions, 'host'> = {}): Promise<ByteTransport> {
    const usbId = usbGapuinoIdOf(deviceId);
    if (!usbId) throw new GapuinoUsbError('not_found', `${deviceId} is not a USB GAPuino`);
    if (this.busy.has(deviceId)) throw new GapuinoUsbError('busy', `${deviceId} is already in use by this app (another deploy or test is talking to it)`);
    this.setBusy(deviceId, true);
    try {
      const t = await openUsbGapuino(usbId, { ...options, load: this.options.usb ?? loadUsbHost });
      return {
        description: t.description,
        write: (bytes) => t.write(bytes),
        read: (timeoutMs) => t.read(timeoutMs),
        close: async () => {
          try {
            await t.close();
          } finally {
            this.setBusy(deviceId, false);
          }
        },
      };
    } catch (e) {
      this.setBusy(deviceId, false);
      throw e;
    }
  }

  /** Deploy marks a board busy while its transport is open, so the list shows it as such. */
  setBusy(deviceId: string, busy: boolean): void {
    if (busy) this.busy.add(deviceId);
    else this.busy.delete(deviceId);
  }
}
