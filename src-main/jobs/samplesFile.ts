/**
 * Split, featurized samples on disk, so a job can train on exactly the samples the caller prepared (a
 * wizard's selection, a benchmark subset, a test's toy task) and record their hash. Augmentation is a
 * function and is not stored: jobs on a samples file train without it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PipelineData } from '../compress/pipeline';
import type { SampleSet } from '../train/sampleSet';
import { writeFileAtomic } from '../storage/atomicFile';

const setSchema = z.object({
  count: z.number().int().nonnegative(),
  sampleSizes: z.array(z.number().int().positive()),
  modalities: z.array(z.string()),
  labels: z.array(z.number().int().nonnegative()),
  groups: z.array(z.string()),
  present: z.array(z.array(z.boolean())),
});
const fileSchema = z.object({
  format: z.literal('tinym2-samples'),
  version: z.literal(1),
  modalities: z.array(z.object({ name: z.string(), input: z.tuple([z.number().int(), z.number().int(), z.number().int()]) })),
  classes: z.number().int().min(2),
  train: setSchema,
  val: setSchema,
  test: setSchema,
});

function encodeSet(s: SampleSet): z.infer<typeof setSchema> {
  return {
    count: s.count,
    sampleSizes: [...s.sampleSizes],
    modalities: s.modalities.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('base64')),
    labels: [...s.labels],
    groups: [...s.groups],
    present: s.present.map((p) => [...p]),
  };
}

function decodeSet(s: z.infer<typeof setSchema>, file: string, part: string): SampleSet {
  const modalities = s.modalities.map((b64, m) => {
    const bytes = Buffer.from(b64, 'base64');
    const values = new Float32Array(new Uint8Array(bytes).buffer, 0, bytes.byteLength >> 2);
    if (values.length !== s.count * s.sampleSizes[m]!) throw new Error(`${file}: ${part}.modalities[${m}] holds ${values.length} values, expected ${s.count * s.sampleSizes[m]!}`);
    return values;
  });
  if (s.labels.length !== s.count || s.groups.length !== s.count) throw new Error(`${file}: ${part} has ${s.count} samples but ${s.labels.length} labels and ${s.groups.length} groups`);
  return { count: s.count, sampleSizes: s.sampleSizes, modalities, labels: Int32Array.from(s.labels), groups: s.groups, present: s.present };
}

export function writeSamplesFile(file: string, data: Pick<PipelineData, 'train' | 'val' | 'test' | 'modalities' | 'classes'>): void {
  writeFileAtomic(
    file,
    JSON.stringify({
      format: 'tinym2-samples',
      version: 1,
      modalities: data.modalities.map((m) => ({ name: m.name, input: [...m.input] })),
      classes: data.classes,
      train: encodeSet(data.train),
      val: encodeSet(data.val),
      test: encodeSet(data.test),
    }),
  );
}

export function readSamplesFile(file: string): PipelineData {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read a samples file (${(e as Error).message})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message}`);
  const d = parsed.data;
  return {
    modalities: d.modalities.map((m) => ({ name: m.name, input: [m.input[0], m.input[1], m.input[2]] as const })),
    classes: d.classes,
    train: decodeSet(d.train, file, 'train'),
    val: decodeSet(d.val, file, 'val'),
    test: decodeSet(d.test, file, 'test'),
  };
}
