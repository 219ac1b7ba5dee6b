/** Devices: USB GAPuinos and networked Raspberry Pis, their state, pairing and deployment. */
import { z } from 'zod';
import type { EventGroup, MethodGroup } from './group';

const empty = z.object({}).strict();

export const usbStatusSchema = z.object({
  available: z.boolean(),
  /** Why USB cannot be used, in words a technician can act on. */
  reason: z.string().optional(),
});

export const deviceMethods = {
  'devices.list': {
    request: empty,
    response: z.object({
      usb: usbStatusSchema,
      devices: z.array(
        z.object({
          id: z.string(),
          kind: z.enum(['gapuino', 'pi']),
          name: z.string(),
          state: z.enum(['connected', 'disconnected', 'busy', 'error']),
          model: z.string().optional(),
        }),
      ),
    }),
  },
} as const satisfies MethodGroup;

export const deviceEvents = {
  'device.hotplug': z.object({ id: z.string(), change: z.enum(['attached', 'detached']) }),
} as const satisfies EventGroup;
