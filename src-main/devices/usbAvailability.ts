import { createRequire } from 'node:module';

export interface UsbAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

/**
 * The part of the `usb` package (3.x, WebUSB API on nusb) this app uses, typed structurally so tests can
 * hand in a fake with the same shape. Signatures follow node_modules/usb/dist/index.{d.ts,js}:
 * transferIn/transferOut/controlTransferOut take an extra trailing timeout in ms (default 1000), and
 * `bus`, `ports`, `address`, `detachKernelDriver`, `attachKernelDriver` are the package's additions.
 */
export interface UsbTransferInResult {
  readonly data?: DataView;
  readonly status: 'ok' | 'stall' | 'babble';
}

export interface UsbTransferOutResult {
  readonly bytesWritten: number;
  readonly status: 'ok' | 'stall' | 'babble';
}

export interface UsbEndpointInfo {
  readonly endpointNumber: number;
  readonly direction: 'in' | 'out';
  readonly type: string;
  readonly packetSize: number;
}

export interface UsbInterfaceInfo {
  readonly interfaceNumber: number;
  readonly alternate: { readonly endpoints: readonly UsbEndpointInfo[] };
}

export interface UsbControlSetup {
  readonly requestType: 'standard' | 'class' | 'vendor';
  readonly recipient: 'device' | 'interface' | 'endpoint' | 'other';
  readonly request: number;
  readonly value: number;
  readonly index: number;
}

export interface UsbDeviceHandle {
  readonly vendorId: number;
  readonly productId: number;
  /** bcdDevice major: 5 = FT2232C/D, 7 = FT2232H. */
  readonly deviceVersionMajor: number;
  /** May open the device to read a string descriptor, so may throw (e.g. without permission). */
  readonly serialNumber?: string | null;
  readonly productName?: string | null;
  readonly bus?: string;
  readonly address?: number;
  readonly ports?: readonly number[];
  /** 'high' means 512-byte bulk packets; 'full' 64. */
  readonly speed?: string;
  readonly opened: boolean;
  /** Opens the device when read; may throw. */
  readonly configuration?: { readonly interfaces: readonly UsbInterfaceInfo[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  controlTransferOut(setup: UsbControlSetup, data?: Uint8Array, timeoutMs?: number): Promise<UsbTransferOutResult>;
  transferIn(endpointNumber: number, length: number, timeoutMs?: number): Promise<UsbTransferInResult>;
  transferOut(endpointNumber: number, data: Uint8Array, timeoutMs?: number): Promise<UsbTransferOutResult>;
  /** Linux only. */
  detachKernelDriver?(interfaceNumber: number): Promise<void>;
  attachKernelDriver?(interfaceNumber: number): Promise<void>;
}

export interface UsbConnectionEventLike {
  readonly device: UsbDeviceHandle;
}

export type UsbConnectionListener = (event: UsbConnectionEventLike) => void;

export interface UsbHost {
  getDevices(): Promise<UsbDeviceHandle[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void;
}

export type UsbHostLoader = () => UsbHost;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The package's `usb` object, not `webusb`: `webusb` follows the browser rule that only devices granted
 * through requestDevice() are listed, so its getDevices() is always empty here. Loaded lazily because
 * the native addon is only needed when devices are asked for. Throws when the addon does not load.
 */
export function loadUsbHost(): UsbHost {
  const require = createRequire(import.meta.url);
  return (require('usb') as { usb: UsbHost }).usb;
}

/** Either the host, or why USB cannot be used (addon missing, no USB subsystem). Never throws. */
export async function openUsbHost(load: UsbHostLoader = loadUsbHost): Promise<{ host: UsbHost; devices: UsbDeviceHandle[] } | { host?: undefined; availability: UsbAvailability }> {
  let host: UsbHost;
  try {
    host = load();
  } catch (e) {
    return { availability: { available: false, reason: `USB unavailable: the usb native module did not load (${message(e)})` } };
  }
  try {
    return { host, devices: await host.getDevices() };
  } catch (e) {
    return { availability: { available: false, reason: `USB unavailable on this machine (${message(e)}). Pi devices over the network still work.` } };
  }
}

/**
 * Asks the `usb` package for devices once. On machines without a USB subsystem (containers, some VMs)
 * `getDevices()` rejects; that is a state to report, not a crash, so the rest of the app keeps working.
 */
export async function checkUsb(load: UsbHostLoader = loadUsbHost): Promise<UsbAvailability> {
  const r = await openUsbHost(load);
  return r.host ? { available: true } : r.availability;
}
