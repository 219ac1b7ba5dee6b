/**
 * A trained float model on disk: its architecture description and weights (float32 as base64), written
 * atomically. This is what `tinym2 train` leaves for `tinym2 compress`, and what a package keeps so it can
 * be retrained from.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../storage/atomicFile';
import { z } from 'zod';
import { buildArchitecture, type BuiltArchitecture } from './architecture';
import type { ModelWeights, ParamTree } from './weights';

/** A weight tree in a JSON file: layer → parameter → float32 values as base64 (little-endian). */
export const paramTreeFileSchema = z.record(z.string(), z.record(z.string(), z.string()));
const fileSchema = z.object({
  format: z.literal('tinym2-float-model'),
  version: z.literal(1),
  architecture: z.unknown(),
  params: paramTreeFileSchema,
  state: paramTreeFileSchema,
});

export function encodeTree(t: ParamTree): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(t).map(([layer, ps]) => [layer, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')]))]),
  );
}

export function decodeTree(t: Record<string, Record<string, string>>): ParamTree {
  return Object.fromEntries(
    Object.entries(t).map(([layer, ps]) => [
      layer,
      Object.fromEntries(
        Object.entries(ps).map(([k, v]) => {
          const bytes = new Uint8Array(Buffer.from(v, 'base64'));
          return [k, new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2)];
        }),
      ),
    ]),
  );
}

export function writeFloatModel(file: string, arch: BuiltArchitecture, weights: ModelWeights): void {
  writeFileAtomic(file, JSON.stringify({ format: 'tinym2-float-model', version: 1, architecture: arch.spec, params: encodeTree(weights.params), state: encodeTree(weights.state) }));
}

export function readFloatModel(file: string): { arch: BuiltArchitecture; weights: ModelWeights } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read a float model (${(e as Error).message})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message}`);
  const arch = buildArchitecture(parsed.data.architecture as Parameters<typeof buildArchitecture>[0]);
  return { arch, weights: { params: decodeTree(parsed.data.params), state: decodeTree(parsed.data.state) } };
}
