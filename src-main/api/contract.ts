import { z } from 'zod';
import { modelPackageMetaSchema } from '../models/packageMeta';

/**
 * The one API contract between the renderer and the services. Every request, response and event is
 * declared here once, as a zod schema; TypeScript types are inferred from it. Two transports carry it
 * (Electron IPC and the local HTTP/WebSocket bridge) and neither knows anything about the methods.
 */

const empty = z.object({}).strict();

export const modelSummarySchema = modelPackageMetaSchema.extend({
  source: z.enum(['bundled', 'user']),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;

export const problemSchema = z.object({ path: z.string(), reason: z.string() });

export const usbStatusSchema = z.object({
  available: z.boolean(),
  /** Why USB cannot be used, in words a technician can act on. */
  reason: z.string().optional(),
});

export const apiMethods = {
  'app.info': {
    request: empty,
    response: z.object({
      name: z.string(),
      version: z.string(),
      transport: z.enum(['electron', 'bridge']),
      platform: z.string(),
      dataDir: z.string(),
    }),
  },
  'models.list': {
    request: empty,
    response: z.object({ models: z.array(modelSummarySchema), problems: z.array(problemSchema) }),
  },
  'models.get': {
    request: z.object({ id: z.string().min(1).max(200) }).strict(),
    response: modelSummarySchema,
  },
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
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export const apiEvents = {
  /** Sent to each new listener on connection, so the UI can show that the link is up. */
  'app.status': z.object({ connected: z.literal(true), transport: z.enum(['electron', 'bridge']), at: z.number() }),
  'job.progress': z.object({
    jobId: z.string(),
    stage: z.string(),
    fraction: z.number().min(0).max(1),
    detail: z.string().optional(),
  }),
  'audio.level': z.object({ takeId: z.string(), rmsDbfs: z.number(), peakDbfs: z.number(), t: z.number() }),
  'device.hotplug': z.object({ id: z.string(), change: z.enum(['attached', 'detached']) }),
} as const satisfies Record<string, z.ZodType>;

export type ApiMethod = keyof typeof apiMethods;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['request']>;
export type ApiResponse<M extends ApiMethod> = z.output<(typeof apiMethods)[M]['response']>;
export type ApiEvent = keyof typeof apiEvents;
export type ApiEventPayload<E extends ApiEvent> = z.output<(typeof apiEvents)[E]>;

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(apiMethods, name);
}

export function isApiEvent(name: string): name is ApiEvent {
  return Object.prototype.hasOwnProperty.call(apiEvents, name);
}

/** Error codes shared by both transports; the bridge maps them to HTTP statuses. */
export const apiErrorCodes = ['unauthorized', 'invalid_request', 'unknown_method', 'not_found', 'failed'] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

export interface ApiErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** The failing field for `invalid_request`, as a dotted path. */
  readonly field?: string;
}

/** What the renderer sees, whichever transport carries it. */
export interface TinyM2Api {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void;
}

/** The raw surface the Electron preload exposes on `window.tinym2` (untyped wire, typed by the client). */
export interface PreloadBridge {
  invoke(method: string, request: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}
