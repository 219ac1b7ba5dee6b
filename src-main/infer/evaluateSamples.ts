/**
 * A model package measured on samples whose features are already computed (e.g. depth + thermal frames
 * read back from the store and brought to the package's input sizes by the training code's own
 * conversion): int8 quantization with the package's input parameters, onnxruntime, the same classify()
 * the Pose page uses. One score per sample, so a pose set is scored per frame.
 */
import type { SampleSet } from '../train/sampleSet';
import { accuracy, balancedAccuracy, confusionMatrix } from '../train/metrics';
import { classify } from './classify';
import { InferenceError } from './inferenceError';
import type { ModelSession } from './modelSession';

export interface SampleEvaluation {
  readonly labels: readonly string[];
  readonly samples: number;
  /** Distinct groups (participants) among the samples scored. */
  readonly participants: number;
  readonly confusion: number[][];
  readonly balancedAccuracy: number;
  readonly accuracy: number;
  readonly meanLatencyMs: number;
}

/**
 * `set.labels` index `labels` (the set's class order); the package may order its classes differently,
 * and a set class the package does not know is an error naming it.
 */
export async function evaluateSamples(session: ModelSession, set: SampleSet, labels: readonly string[], fills: readonly number[]): Promise<SampleEvaluation> {
  const { meta } = session;
  if (set.modalities.length !== meta.modalities.length) throw new InferenceError(`${meta.id} takes ${meta.modalities.length} modalities; the samples have ${set.modalities.length}`, 'model');
  const toModel = labels.map((l) => {
    const i = meta.task.labels.indexOf(l);
    if (i < 0) throw new InferenceError(`${meta.id} has no class '${l}' (it predicts ${meta.task.labels.join(', ')})`, 'model');
    return i;
  });
  const truth: number[] = [];
  const predicted: number[] = [];
  let latency = 0;
  for (let n = 0; n < set.count; n++) {
    const inputs = set.modalities.map((values, m) => {
      const size = set.sampleSizes[m]!;
      return { features: set.present[n]![m] ? values.subarray(n * size, (n + 1) * size) : undefined, fill: fills[m]! };
    });
    const r = await classify(session, inputs);
    latency += r.latencyMs;
    truth.push(toModel[set.labels[n]!]!);
    predicted.push(r.labelIndex);
  }
  const confusion = confusionMatrix(truth, predicted, meta.task.labels.length);
  return {
    labels: meta.task.labels,
    samples: set.count,
    participants: new Set(set.groups).size,
    confusion,
    balancedAccuracy: balancedAccuracy(confusion),
    accuracy: accuracy(confusion),
    meanLatencyMs: set.count ? latency / set.count : 0,
  };
}
