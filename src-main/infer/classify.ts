/**
 * One screening: features per modality → int8 → model → probabilities, plus how much each modality
 * contributed (by ablation: the drop in the winning class's probability when that modality is replaced
 * by silence). A missing modality is filled with silence, named in the result, and the answer carries on
 * with whatever confidence the remaining modalities support.
 */
import { quantizeTensorValues, dequantizeValues } from '../compress/quantize';
import { softmaxRow } from '../train/metrics';
import type { ModelSession } from './modelSession';
import { InferenceError } from './inferenceError';

export interface ModalityInput {
  /** Model-ready float features for this modality (NHWC), or undefined when it is missing. */
  readonly features: Float32Array | undefined;
  /** The value this modality takes when absent (silence for audio). */
  readonly fill: number;
}

export interface Classification {
  readonly label: string;
  readonly labelIndex: number;
  readonly probabilities: readonly number[];
  readonly labels: readonly string[];
  /** Modality → share of the decision it carried (≥ 0, summing to 1 over the present modalities when any mattered). */
  readonly contributions: Readonly<Record<string, number>>;
  readonly missing: readonly string[];
  readonly model: { readonly id: string; readonly name: string; readonly version: string };
  readonly latencyMs: number;
}

function probabilitiesOf(session: ModelSession, logits: Int8Array): number[] {
  return softmaxRow(dequantizeValues(logits, { scales: [session.io.logits.scale], zeroPoint: session.io.logits.zeroPoint }));
}

export async function classify(session: ModelSession, inputs: readonly ModalityInput[]): Promise<Classification> {
  const { meta, io } = session;
  if (inputs.length !== meta.modalities.length) throw new InferenceError(`the model takes ${meta.modalities.length} modalities, got ${inputs.length}`);
  const missing = meta.modalities.filter((_, i) => !inputs[i]!.features).map((m) => m.name);
  if (missing.length === meta.modalities.length) throw new InferenceError(`no usable input: ${missing.join(', ')} all missing`, 'missing_modality');
  const quantize = (i: number, values: Float32Array) => quantizeTensorValues(values, { scales: [io.inputs[i]!.scale], zeroPoint: io.inputs[i]!.zeroPoint });
  const silent = meta.modalities.map((m, i) => quantize(i, new Float32Array(m.inputShape.reduce((a, b) => a * b, 1)).fill(inputs[i]!.fill)));
  const q = meta.modalities.map((m, i) => {
    const f = inputs[i]!.features;
    if (!f) return silent[i]!;
    const expected = m.inputShape.reduce((a, b) => a * b, 1);
    if (f.length !== expected) throw new InferenceError(`modality '${m.name}': ${f.length} feature values, the model expects ${expected} ([${m.inputShape.join(', ')}])`);
    return quantize(i, f);
  });
  const t0 = performance.now();
  const probabilities = probabilitiesOf(session, await session.run(q));
  const latencyMs = performance.now() - t0;
  const labelIndex = probabilities.indexOf(Math.max(...probabilities));
  const drops: Record<string, number> = {};
  for (let i = 0; i < q.length; i++) {
    const name = meta.modalities[i]!.name;
    if (missing.includes(name)) continue;
    const ablated = q.map((x, j) => (j === i ? silent[i]! : x));
    drops[name] = Math.max(0, probabilities[labelIndex]! - probabilitiesOf(session, await session.run(ablated))[labelIndex]!);
  }
  const total = Object.values(drops).reduce((a, b) => a + b, 0);
  const present = Object.keys(drops);
  const contributions = Object.fromEntries(present.map((n) => [n, total > 0 ? drops[n]! / total : 1 / present.length]));
  return {
    label: meta.task.labels[labelIndex]!,
    labelIndex,
    probabilities,
    labels: meta.task.labels,
    contributions,
    missing,
    model: { id: meta.id, name: meta.name, version: meta.version },
    latencyMs,
  };
}
