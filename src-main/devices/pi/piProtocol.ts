/**
 * The HTTPS protocol between the studio and `tinym2-agent` on a Raspberry Pi: every request and response
 * body as a zod schema, used by both sides so neither trusts the other's JSON unchecked.
 */
import { z } from 'zod';
import { deploySequenceSchema } from '../modelSigning';

export const DEFAULT_AGENT_PORT = 8443;
export const MDNS_SERVICE_TYPE = 'tinym2';

/** Machine-readable reasons in error bodies; the studio turns them into words a technician can act on. */
export const agentErrorCodeSchema = z.enum([
  'unauthorized',
  'pairing_code_wrong',
  'pairing_locked',
  'bad_request',
  'too_large',
  'signature_rejected',
  'hash_mismatch',
  'package_invalid',
  'test_inference_failed',
  'no_model',
  'no_previous_model',
  'busy',
  'upload_too_slow',
  'downgrade_refused',
  'older_version',
  'bad_input',
  'not_found',
  'internal',
]);
export type AgentErrorCode = z.infer<typeof agentErrorCodeSchema>;

/** What the agent sends with a refusal. */
export interface AgentErrorBody {
  readonly error: string;
  readonly code: AgentErrorCode;
  readonly retryAfterSeconds?: number;
}

/**
 * What the studio accepts as a refusal: a code it does not know yet (a newer agent) still carries the
 * agent's own sentence, which is better shown than "not a tinym2-agent answer".
 */
export const agentErrorBodySchema = z.object({ error: z.string(), code: z.string(), retryAfterSeconds: z.number().optional() });

export const pairRequestSchema = z.object({
  code: z.string().regex(/^\d{6,8}$/, '6 to 8 digits'),
  studioPublicKey: z.string().min(40).max(1000),
  studioName: z.string().max(100).optional(),
});
export type PairRequest = z.infer<typeof pairRequestSchema>;

export const pairResponseSchema = z.object({ token: z.string().min(32), agentId: z.string().min(1), agentVersion: z.string() });
export type PairResponse = z.infer<typeof pairResponseSchema>;

export const modelRefSchema = z.object({ id: z.string(), version: z.string(), dir: z.string(), activatedAt: z.string() });
export type ModelRef = z.infer<typeof modelRefSchema>;

export const infoResponseSchema = z.object({
  agentId: z.string(),
  agentVersion: z.string(),
  hostname: z.string(),
  model: z.object({ active: modelRefSchema.nullable(), previous: modelRefSchema.nullable(), problem: z.string().optional() }),
  cpu: z.object({ model: z.string(), cores: z.number().int(), arch: z.string(), loadAverage: z.array(z.number()) }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number(), agentRssBytes: z.number() }),
  uptimeSeconds: z.object({ system: z.number(), agent: z.number() }),
  platform: z.string(),
  /**
   * Per model id, the highest deploy sequence this agent has activated and that package's version. The
   * studio signs its next deploy above it. Absent on agents without downgrade protection (before issue
   * #21), which read only format-1 manifests.
   */
  deploySequences: z.record(z.string(), z.object({ sequence: deploySequenceSchema, version: z.string() })).optional(),
});
export type InfoResponse = z.infer<typeof infoResponseSchema>;

/** int8 tensors travel as base64 of their bytes (two's complement), one per modality by name. */
export const inferRequestSchema = z.object({
  inputs: z.array(z.object({ modality: z.string().min(1), int8: z.string().max(8_000_000) })).min(1).max(16),
});
export type InferRequest = z.infer<typeof inferRequestSchema>;

export const inferResponseSchema = z.object({
  model: z.object({ id: z.string(), version: z.string() }),
  /** The model's int8 output, as numbers. */
  output: z.array(z.number().int().min(-128).max(127)),
  label: z.string().optional(),
  probabilities: z.array(z.number()).optional(),
  /** Time inside onnxruntime on the device. */
  latencyMs: z.number().nonnegative(),
});
export type InferResponse = z.infer<typeof inferResponseSchema>;

export const activationResponseSchema = z.object({
  active: modelRefSchema,
  previous: modelRefSchema.nullable(),
  /** False when this exact package was already active (nothing changed). */
  changed: z.boolean(),
  testInference: z.object({ latencyMs: z.number(), outputLength: z.number().int() }).optional(),
});
export type ActivationResponse = z.infer<typeof activationResponseSchema>;

export function int8ToBase64(values: Int8Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function base64ToInt8(b64: string): Int8Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
