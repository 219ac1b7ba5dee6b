/** Runs an int8 graph with the reference kernels over a sample set: the int8 model's own accuracy. */
import type { Int8Graph } from '../graph/int8Graph';
import { runGraph } from '../kernels/runGraph';
import { argmaxRows, balancedAccuracy, confusionMatrix } from '../train/metrics';
import type { SampleSet } from '../train/sampleSet';
import { dequantizeValues, quantizeTensorValues } from './quantize';

export interface Int8Evaluation {
  readonly logits: Float32Array;
  readonly confusion: number[][];
  readonly balancedAccuracy: number;
}

export function int8Logits(graph: Int8Graph, set: SampleSet): Float32Array {
  const out = graph.tensors[graph.outputs[0]!]!;
  const classes = out.shape.reduce((a, b) => a * b, 1);
  const logits = new Float32Array(set.count * classes);
  for (let n = 0; n < set.count; n++) {
    const inputs = graph.inputs.map((id, m) => {
      const size = set.sampleSizes[m]!;
      return quantizeTensorValues(set.modalities[m]!.subarray(n * size, (n + 1) * size), graph.tensors[id]!.quant);
    });
    logits.set(dequantizeValues(runGraph(graph, inputs).outputs[0]!, out.quant), n * classes);
  }
  return logits;
}

export function evaluateInt8(graph: Int8Graph, set: SampleSet, classes: number): Int8Evaluation {
  const logits = int8Logits(graph, set);
  const confusion = confusionMatrix(set.labels, argmaxRows(logits, classes), classes);
  return { logits, confusion, balancedAccuracy: balancedAccuracy(confusion) };
}
