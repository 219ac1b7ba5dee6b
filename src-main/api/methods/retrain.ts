/** The Retrain wizard: local data import, review, training jobs, comparison, acceptance. */
import { z } from 'zod';
import type { EventGroup, MethodGroup } from './group';
import { studentShapeSchema } from '../../compress/recipeSchema';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path to a folder or a .csv manifest');
/** Names of store data sets and label columns are shown to people and used as keys; keep them plain. */
const plainName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, dot, dash and underscore only (up to 64)');
const runId = z.string().regex(/^run-[0-9a-z-]{6,64}$/, 'a run id as returned by retrain.start');
const targetLevel = z.string().regex(/^[a-z0-9_-]+:[a-z0-9_-]+$/, 'a <target>:<level> id such as gap8:l2');

const studentShape = studentShapeSchema.strict();

const epochReport = z.object({ epoch: z.number().int().nonnegative(), trainLoss: z.number(), valLoss: z.number(), valBalancedAccuracy: z.number(), seconds: z.number() });
const curves = z.record(z.string(), z.array(epochReport));
const paretoPoint = z.object({ label: z.string(), bytes: z.number().int().nonnegative(), accuracy: z.number().min(0).max(1), chosen: z.boolean() });

const evaluation = z.object({
  modelId: z.string(),
  modelName: z.string(),
  labels: z.array(z.string()),
  participants: z.number().int().nonnegative(),
  /** Frames scored, for a frame (pose) model: it is scored per frame, not per participant. */
  frames: z.number().int().nonnegative().optional(),
  balancedAccuracy: z.number().min(0).max(1),
  accuracy: z.number().min(0).max(1),
  confusion: z.array(z.array(z.number().int().nonnegative())),
  weightBytes: z.number().int().nonnegative(),
  onnxBytes: z.number().int().nonnegative(),
  meanLatencyMs: z.number().nonnegative(),
  skipped: z.number().int().nonnegative(),
  /** Why this model cannot be scored on these participants (e.g. it predicts other labels). */
  notComparable: z.string().optional(),
});

export const retrainStatusSchema = z.enum(['queued', 'training', 'compressing', 'comparing', 'ready', 'accepted', 'rejected', 'failed', 'cancelled', 'interrupted']);

const runState = z.object({
  runId,
  status: retrainStatusSchema,
  stage: z.string(),
  fraction: z.number().min(0).max(1),
  detail: z.string(),
  etaSeconds: z.number().nonnegative().optional(),
  datasetName: z.string(),
  labelColumn: z.string(),
  labels: z.array(z.string()),
  target: z.string(),
  maxWeightBytes: z.number().int().positive().optional(),
  createdAt: z.string(),
  curves,
  pareto: z.array(paretoPoint),
  /** Held-out participants both models are measured on; never used for training or model choice. */
  heldOut: z.array(z.string()),
  comparison: z.object({ candidate: evaluation, current: evaluation }).optional(),
  /** Where the accepted package went (the Models page lists it). */
  acceptedModelId: z.string().optional(),
  error: z.string().optional(),
});
export type RetrainRunState = z.infer<typeof runState>;

const splitPreview = z.object({
  heldOut: z.array(z.string()),
  train: z.array(z.string()),
  heldOutCounts: z.record(z.string(), z.number().int().nonnegative()),
  trainCounts: z.record(z.string(), z.number().int().nonnegative()),
});

const importReport = z.object({
  datasetName: z.string(),
  layout: z.string(),
  participants: z.number().int().nonnegative(),
  recordings: z.number().int().nonnegative(),
  stored: z.number().int().nonnegative(),
  labelColumns: z.array(z.string()),
  failed: z.array(z.object({ subject: z.string(), modality: z.string(), path: z.string(), reason: z.string(), message: z.string() })),
  /** Structural problems of the source (rows without files, contradicting metadata). */
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** A label value as people type it: one line, no commas (manifests are CSV). */
const labelValue = z.string().trim().min(1).max(64).regex(/^[^,\r\n]+$/, 'one line without commas (up to 64 characters)');

export const retrainMethods = {
  /** Imports a folder or CSV manifest into the local store; bad files are reported, never fatal. */
  'retrain.import': {
    request: z.object({ source: absolutePath, name: plainName.optional() }).strict(),
    response: importReport,
  },
  /** Screening sessions recorded in this app, to be labelled and imported. */
  'retrain.sessions': {
    request: z.object({}).strict(),
    response: z.object({
      sessions: z.array(
        z.object({
          screeningId: z.string(),
          createdAt: z.string(),
          subjectCode: z.string().optional(),
          /** The participant code the session is stored under. */
          subject: z.string(),
          modelId: z.string(),
          predicted: z.string(),
          confidence: z.number().min(0).max(1),
          recordings: z.array(z.object({ modality: z.string(), source: z.string(), available: z.boolean(), problem: z.string().optional() })),
        }),
      ),
      problems: z.array(z.object({ file: z.string(), message: z.string() })),
    }),
  },
  /** Imports labelled sessions into the local store as a data set (same report as retrain.import). */
  'retrain.importSessions': {
    request: z
      .object({
        labelColumn: plainName,
        sessions: z.array(z.object({ screeningId: z.string().uuid(), value: labelValue }).strict()).min(1).max(10000),
        name: plainName.optional(),
      })
      .strict(),
    response: importReport,
  },
  'retrain.review': {
    request: z.object({ datasetName: plainName, labelColumn: plainName }).strict(),
    response: z.object({
      datasetName: z.string(),
      labelColumn: z.string(),
      labelColumns: z.array(z.string()),
      participants: z.number().int().nonnegative(),
      /** What labelCounts and the split's counts count: participants (audio) or frames (pose, labelled per frame). */
      unit: z.enum(['participants', 'frames']),
      labelCounts: z.record(z.string(), z.number().int().nonnegative()),
      modalities: z.array(z.object({ name: z.string(), recordings: z.number().int().nonnegative() })),
      quality: z.array(z.object({ subject: z.string(), modality: z.string(), issues: z.array(z.string()) })),
      split: splitPreview.optional(),
      warnings: z.array(z.string()),
      /** False when training cannot start (a single class, too few participants). */
      trainable: z.boolean(),
    }),
  },
  'retrain.targets': {
    request: z.object({}).strict(),
    response: z.object({
      targets: z.array(
        z.object({
          id: z.string(),
          target: z.string(),
          targetName: z.string(),
          level: z.string(),
          levelName: z.string(),
          capacityBytes: z.number().int().positive(),
        }),
      ),
      defaultTarget: z.string(),
    }),
  },
  'retrain.start': {
    request: z
      .object({
        datasetName: plainName,
        labelColumn: plainName,
        target: targetLevel,
        maxWeightBytes: z.number().int().positive().max(64 * 1024 * 1024).optional(),
        /** The current model to compare against; the bundled audio model by default. */
        baselineModelId: z.string().min(1).max(200).optional(),
        /** Overrides of the default recipe (fewer epochs or smaller students for a quick run). */
        options: z
          .object({
            epochs: z.number().int().min(1).max(500).optional(),
            qatEpochs: z.number().int().min(0).max(100).optional(),
            teacher: studentShape.optional(),
            students: z.array(studentShape).min(1).max(12).optional(),
            seed: z.number().int().nonnegative().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    response: z.object({ runId }),
  },
  'retrain.status': {
    request: z.object({ runId }).strict(),
    response: runState,
  },
  /** Continues a run the app was closed (or killed) during, from its last training checkpoint. */
  'retrain.resume': {
    request: z.object({ runId }).strict(),
    response: z.object({ resumed: z.boolean() }),
  },
  'retrain.cancel': {
    request: z.object({ runId }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  'retrain.decide': {
    request: z.object({ runId, decision: z.enum(['accept', 'reject']) }).strict(),
    response: z.object({ status: z.enum(['accepted', 'rejected']), modelId: z.string().optional(), dir: z.string().optional() }),
  },
  'retrain.history': {
    request: z.object({}).strict(),
    response: z.object({
      runs: z.array(runState.pick({ runId: true, status: true, datasetName: true, labelColumn: true, target: true, createdAt: true, acceptedModelId: true })),
      models: z.array(z.object({ id: z.string(), version: z.string(), status: z.string(), packageDir: z.string(), createdAt: z.string() })),
    }),
  },
} as const satisfies MethodGroup;

export const retrainEvents = {
  'retrain.progress': z.object({
    runId: z.string(),
    status: retrainStatusSchema,
    stage: z.string(),
    fraction: z.number().min(0).max(1),
    detail: z.string(),
    etaSeconds: z.number().nonnegative().optional(),
    curves,
    pareto: z.array(paretoPoint),
  }),
} as const satisfies EventGroup;
