/**
 * A model package measured on a labelled audio data set with the app's own inference path (WAV → features
 * → int8 → onnxruntime): what a clinic sees, including participants with missing recordings.
 */
import type { Dataset } from '../datasets/dataset';
import { balancedAccuracy, accuracy, confusionMatrix } from '../train/metrics';
import { audioModalityInput } from './audioInput';
import { classify } from './classify';
import { InferenceError } from './inferenceError';
import type { ModelSession } from './modelSession';

export interface PackageEvaluation {
  readonly labels: readonly string[];
  readonly participants: number;
  readonly confusion: number[][];
  readonly balancedAccuracy: number;
  readonly accuracy: number;
  /** Participants answered with at least one modality missing. */
  readonly withMissing: number;
  /** Participants skipped: label outside the model's classes, or nothing usable at all. */
  readonly skipped: readonly { readonly subject: string; readonly reason: string }[];
  readonly meanLatencyMs: number;
}

export async function evaluatePackage(
  session: ModelSession,
  dataset: Dataset,
  labelColumn: string,
  onProgress?: (done: number, total: number) => void,
): Promise<PackageEvaluation> {
  const { meta } = session;
  if (meta.modalities.some((m) => m.kind !== 'audio')) throw new InferenceError(`${meta.id} is not an audio model`, 'model');
  const labels = meta.task.labels;
  const truth: number[] = [];
  const predicted: number[] = [];
  const skipped: { subject: string; reason: string }[] = [];
  let withMissing = 0;
  let latency = 0;
  for (let i = 0; i < dataset.subjects.length; i++) {
    const s = dataset.subjects[i]!;
    onProgress?.(i, dataset.subjects.length);
    const y = labels.indexOf(s.labels[labelColumn] ?? '');
    if (y < 0) {
      skipped.push({ subject: s.id, reason: `label '${s.labels[labelColumn] ?? '(none)'}' is not one of ${labels.join(', ')}` });
      continue;
    }
    const inputs = await Promise.all(meta.modalities.map((m) => audioModalityInput(m, s.recordings[m.name])));
    if (inputs.every((x) => !x.features)) {
      skipped.push({ subject: s.id, reason: inputs.map((x) => x.problem).join('; ') });
      continue;
    }
    const r = await classify(session, inputs);
    if (r.missing.length) withMissing++;
    latency += r.latencyMs;
    truth.push(y);
    predicted.push(r.labelIndex);
  }
  onProgress?.(dataset.subjects.length, dataset.subjects.length);
  const confusion = confusionMatrix(truth, predicted, labels.length);
  return {
    labels,
    participants: truth.length,
    confusion,
    balancedAccuracy: balancedAccuracy(confusion),
    accuracy: accuracy(confusion),
    withMissing,
    skipped,
    meanLatencyMs: truth.length ? latency / truth.length : 0,
  };
}
