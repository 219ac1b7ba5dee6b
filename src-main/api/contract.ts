import { z } from 'zod';
import { modelPackageMetaSchema } from '../models/packageMeta';
import type { EventGroup, MethodGroup } from './methods/group';
import { deviceEvents, deviceMethods } from './methods/devices';
import { poseMethods } from './methods/pose';
import { retrainEvents, retrainMethods } from './methods/retrain';

export { usbStatusSchema } from './methods/devices';

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

/** An absolute path on this machine (POSIX or Windows); relative paths would depend on where the app started. */
const absolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');
const modelIdSchema = z.string().min(1).max(200);
const modalityNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a modality name such as cough, speech or breathing');
export const takeIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a take id as returned by screen.uploadRecording or capture.start');
/** Anonymous only: a code the clinic can match to its own records, never a name. */
export const subjectCodeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'letters, digits and dashes only (up to 32): an anonymous code, not a name');

/** Largest WAV a person may load (20 MB: about 10 minutes of 16 kHz 16-bit mono, far beyond any take). */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const MAX_UPLOAD_BASE64 = 4 * Math.ceil(MAX_UPLOAD_BYTES / 3);

export const takeQualitySchema = z.object({
  ok: z.boolean(),
  issues: z.array(z.object({ code: z.string(), message: z.string() })),
  measures: z.object({
    durationSeconds: z.number(),
    rmsDbfs: z.number(),
    peakDbfs: z.number(),
    loudDbfs: z.number(),
    quietDbfs: z.number(),
    snrDb: z.number(),
    clippedFraction: z.number(),
  }),
});

/** One stored take (a loaded file or a microphone recording), as the capture step shows it. */
export const takeReportSchema = z.object({
  takeId: takeIdSchema,
  modality: z.string(),
  /** The file's own name, or e.g. "microphone" for a live take. */
  source: z.string(),
  durationSeconds: z.number().nonnegative(),
  quality: takeQualitySchema,
  /** Min/max pairs across the take, at most 400, for drawing; empty when nothing could be decoded. */
  waveform: z.array(z.tuple([z.number(), z.number()])).max(2000),
  /** Why the take cannot be used at all (unreadable, empty), naming the file; screening treats it as missing. */
  problem: z.string().optional(),
});
export type TakeReport = z.infer<typeof takeReportSchema>;

export const screeningResultSchema = z.object({
  screeningId: takeIdSchema,
  subjectCode: subjectCodeSchema.optional(),
  createdAt: z.string(),
  label: z.string(),
  labels: z.array(z.string()),
  /** Label → probability, in the model's label order. */
  probabilities: z.record(z.string(), z.number().min(0).max(1)),
  /** The probability of the answer given. */
  confidence: z.number().min(0).max(1),
  /** Modality → share of the decision it carried (present modalities only). */
  contributions: z.record(z.string(), z.number().min(0).max(1)),
  modalities: z.array(
    z.object({
      name: z.string(),
      used: z.boolean(),
      source: z.string().optional(),
      reason: z.string().optional(),
      /** The stored take screened (so the session can later be labelled and imported for retraining). */
      takeId: takeIdSchema.optional(),
      /** The file screened, when it was a file on this computer rather than a take. */
      file: z.string().optional(),
    }),
  ),
  missing: z.array(z.object({ modality: z.string(), reason: z.string() })),
  model: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  disclaimer: z.string(),
  latencyMs: z.number().nonnegative(),
});
export type ScreeningResult = z.infer<typeof screeningResultSchema>;

/** Methods of the core app, models and screening; other groups live in api/methods/ (one file each). */
const coreMethods = {
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
  'models.details': {
    request: z.object({ id: modelIdSchema }).strict(),
    response: z.object({
      model: modelSummarySchema,
      dir: z.string(),
      files: z.array(z.object({ role: z.string(), name: z.string(), bytes: z.number().int().nonnegative() })),
      /** Weights + peak activations + scratch: what a level holding everything must have room for. */
      totalBytes: z.number().int().nonnegative(),
      /** Every memory level of every bundled target: what this model needs there and whether it fits. */
      memory: z.array(
        z.object({
          target: z.string(),
          targetName: z.string(),
          level: z.string(),
          levelName: z.string(),
          holds: z.array(z.string()),
          capacityBytes: z.number().int().positive(),
          requiredBytes: z.number().int().nonnegative(),
          fits: z.boolean(),
        }),
      ),
    }),
  },
  'models.import': {
    request: z.object({ path: absolutePathSchema, replace: z.boolean().default(false) }).strict(),
    response: z.object({ model: modelSummarySchema, dir: z.string(), replaced: z.boolean() }),
  },
  'models.export': {
    request: z.object({ id: modelIdSchema, destination: absolutePathSchema }).strict(),
    response: z.object({ dir: z.string(), files: z.array(z.string()) }),
  },
  'screen.uploadRecording': {
    request: z
      .object({
        modality: modalityNameSchema,
        fileName: z.string().min(1).max(255),
        base64: z
          .string()
          .max(MAX_UPLOAD_BASE64, `a recording may be at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64-encoded WAV bytes'),
      })
      .strict(),
    response: takeReportSchema,
  },
  'screen.takeAudio': {
    request: z.object({ takeId: takeIdSchema }).strict(),
    response: z.object({ takeId: takeIdSchema, mime: z.literal('audio/wav'), base64: z.string() }),
  },
  'screen.classifyFiles': {
    request: z
      .object({ modelId: modelIdSchema, recordings: z.record(modalityNameSchema, absolutePathSchema), subjectCode: subjectCodeSchema.optional() })
      .strict(),
    response: screeningResultSchema,
  },
  'screen.classifyTakes': {
    request: z.object({ modelId: modelIdSchema, takes: z.record(modalityNameSchema, takeIdSchema), subjectCode: subjectCodeSchema.optional() }).strict(),
    response: screeningResultSchema,
  },
  'screen.exportSession': {
    request: z.object({ screeningId: takeIdSchema, folder: absolutePathSchema, subjectCode: subjectCodeSchema.optional() }).strict(),
    response: z.object({ files: z.array(z.string()) }),
  },
  'capture.status': {
    request: empty,
    response: z.object({ available: z.boolean(), recorder: z.string().optional(), reason: z.string().optional() }),
  },
  'capture.start': {
    request: z.object({ modality: modalityNameSchema, durationSeconds: z.number().positive().max(120) }).strict(),
    response: z.object({ takeId: takeIdSchema, recorder: z.string(), expectedSeconds: z.number() }),
  },
  'capture.stop': {
    request: z.object({ takeId: takeIdSchema }).strict(),
    response: z.object({ stopped: z.boolean() }),
  },
  'capture.result': {
    request: z.object({ takeId: takeIdSchema }).strict(),
    response: takeReportSchema,
  },
} as const satisfies MethodGroup;

export const apiMethods = { ...coreMethods, ...deviceMethods, ...retrainMethods, ...poseMethods } as const satisfies MethodGroup;

const coreEvents = {
  /** Sent to each new listener on connection, so the UI can show that the link is up. */
  'app.status': z.object({ connected: z.literal(true), transport: z.enum(['electron', 'bridge']), at: z.number() }),
  'job.progress': z.object({
    jobId: z.string(),
    stage: z.string(),
    fraction: z.number().min(0).max(1),
    detail: z.string().optional(),
  }),
  'audio.level': z.object({ takeId: z.string(), rmsDbfs: z.number(), peakDbfs: z.number(), t: z.number() }),
} as const satisfies EventGroup;

export const apiEvents = { ...coreEvents, ...deviceEvents, ...retrainEvents } as const satisfies EventGroup;

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
  /** The failing field for `invalid_request`, as a dotted path; on `failed`, a field whose change gets past the refusal. */
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
