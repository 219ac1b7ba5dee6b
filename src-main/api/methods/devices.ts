/** Devices: USB GAPuinos and networked Raspberry Pis, their state, pairing and deployment. */
import { z } from 'zod';
import type { EventGroup, MethodGroup } from './group';

const empty = z.object({}).strict();

export const usbStatusSchema = z.object({
  available: z.boolean(),
  /** Why USB cannot be used, in words a technician can act on. */
  reason: z.string().optional(),
});

/**
 * `pi://host:port`, `host:port` or `host`, the grammar of devices/pi/piAddress.ts (not imported: the renderer
 * type-checks this file and that module pulls in Node-only code).
 */
const PI_ADDRESS = /^(?:pi:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/;
const piAddressSchema = z
  .string()
  .trim()
  .min(1, 'write the Pi address as pi://host:port')
  .max(300)
  .superRefine((text, ctx) => {
    const m = PI_ADDRESS.exec(text);
    if (!m) ctx.addIssue({ code: 'custom', message: `'${text}' is not a Pi address: write pi://host:port, e.g. pi://192.168.1.20:8443` });
    else if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) ctx.addIssue({ code: 'custom', message: `'${text}': port ${m[2]} is out of range (1–65535)` });
  });

/** A device id as devices.list returns it: `gapuino:usb-…`, `simulator:gapuino` or `pi://host:port`. */
const deviceIdSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^(gapuino:|simulator:|pi:\/\/)/, 'a device id from devices.list (gapuino:…, simulator:… or pi://host:port)');
const modelIdSchema = z.string().min(1, 'choose a model').max(200);

export const deviceEntrySchema = z.object({
  id: z.string(),
  kind: z.enum(['gapuino', 'pi']),
  name: z.string(),
  state: z.enum(['connected', 'disconnected', 'busy', 'error']),
  /** "id version" of the model the device runs, when known. */
  model: z.string().optional(),
  /** True for the simulated GAPuino (the firmware's host build), never real hardware. */
  simulated: z.boolean().optional(),
  /** Pi only: the pinned certificate fingerprint (SHA-256). */
  fingerprint: z.string().optional(),
  /** Pi only: the model a rollback would return to. */
  previousModel: z.string().optional(),
  /** What is wrong with the device and what to do, when state is error or disconnected. */
  problem: z.string().optional(),
});
export type DeviceListEntry = z.infer<typeof deviceEntrySchema>;

export const deviceMethods = {
  'devices.list': {
    request: empty,
    response: z.object({
      usb: usbStatusSchema,
      devices: z.array(deviceEntrySchema),
      /** Pis announcing themselves on this network (mDNS) that are not paired yet: to pair, not to deploy to. */
      discovery: z
        .object({
          available: z.boolean(),
          /** Why discovery cannot run (mDNS port taken, turned off); Pis can still be added by address. */
          reason: z.string().optional(),
          unpaired: z.array(
            z.object({
              address: z.string(),
              name: z.string(),
              agentId: z.string().optional(),
              /** First 16 hex digits of the certificate fingerprint, to compare with the Pi's screen before pairing. */
              fingerprintPrefix: z.string().optional(),
            }),
          ),
        })
        .optional(),
    }),
  },
  'devices.pairPi': {
    request: z
      .object({
        address: piAddressSchema,
        code: z.string().trim().regex(/^\d{6,8}$/, 'the 6–8 digit code the agent shows on the Pi'),
        name: z.string().trim().min(1).max(60).optional(),
      })
      .strict(),
    response: z.object({ id: z.string(), agentId: z.string(), fingerprint: z.string() }),
  },
  'devices.unpairPi': {
    request: z.object({ deviceId: piAddressSchema }).strict(),
    response: z.object({ removed: z.boolean() }),
  },
  'devices.deploy': {
    request: z
      .object({
        deviceId: deviceIdSchema,
        modelId: modelIdSchema,
        /** The person chose to install a version older than the one running (a Pi refuses that otherwise). */
        allowDowngrade: z.boolean().optional(),
      })
      .strict(),
    response: z.object({
      deviceId: z.string(),
      modelId: z.string(),
      modelVersion: z.string(),
      /** Largest |device − onnxruntime| over the golden input's int8 outputs (0 on a Pi: it must be exact). */
      maxDiffLsb: z.number().int().nonnegative(),
      seconds: z.number().nonnegative(),
      /** One sentence for the technician: what runs where and how it was checked. */
      summary: z.string(),
    }),
  },
  /** What this app deployed where, newest first, with how each ended (the local store's history). */
  'devices.history': {
    request: z.object({ deviceId: deviceIdSchema.optional(), limit: z.number().int().min(1).max(500).optional() }).strict(),
    response: z.object({
      deployments: z.array(
        z.object({
          device: z.string(),
          modelId: z.string(),
          modelVersion: z.string(),
          result: z.enum(['succeeded', 'failed', 'rolled-back']),
          detail: z.string().optional(),
          deployedAt: z.string(),
        }),
      ),
    }),
  },
  'devices.rollback': {
    request: z.object({ deviceId: deviceIdSchema }).strict(),
    response: z.object({ deviceId: z.string(), model: z.string().optional(), summary: z.string() }),
  },
  'devices.startSimulator': {
    request: empty,
    response: z.object({ deviceId: z.string(), model: z.string().optional() }),
  },
  'devices.stopSimulator': {
    request: empty,
    response: z.object({ stopped: z.boolean() }),
  },
} as const satisfies MethodGroup;

export const deviceEvents = {
  'device.hotplug': z.object({ id: z.string(), change: z.enum(['attached', 'detached']) }),
  'device.deployProgress': z.object({
    deviceId: z.string(),
    stage: z.string(),
    fraction: z.number().min(0).max(1),
    detail: z.string(),
  }),
} as const satisfies EventGroup;
