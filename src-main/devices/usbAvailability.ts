import { createRequire } from 'node:module';

export interface UsbAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

/**
 * Asks the `usb` package for devices once. On machines without a USB subsystem (containers, some VMs)
 * `getDevices()` rejects; that is a state to report, not a crash, so the rest of the app keeps working.
 */
export async function checkUsb(): Promise<UsbAvailability> {
  let webusb: { getDevices(): Promise<unknown[]> };
  try {
    // Loaded lazily: the native addon is only needed when devices are asked for.
    const require = createRequire(import.meta.url);
    webusb = (require('usb') as { webusb: typeof webusb }).webusb;
  } catch (e) {
    return { available: false, reason: `USB unavailable: the usb native module did not load (${e instanceof Error ? e.message : String(e)})` };
  }
  try {
    await webusb.getDevices();
    return { available: true };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return { available: false, reason: `USB unavailable on this machine (${detail}). Pi devices over the network still work.` };
  }
}
