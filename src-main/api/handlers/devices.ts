import { checkUsb } from '../../devices/usbAvailability';
import type { deviceMethods } from '../methods/devices';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

export function createDeviceHandlers(_ctx: ServiceContext): GroupHandlers<typeof deviceMethods> {
  return {
    'devices.list': async () => ({ usb: await checkUsb(), devices: [] }),
  };
}
