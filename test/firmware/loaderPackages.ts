// Model packages for the loader and deploy tests: seeded random two-branch int8 graphs (every op kind)
// written as real packages (int8 ONNX, firmware blob, int8 graph, model.json) with the real planner.
import path from 'node:path';
import { writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { exportInt8GraphToOnnx } from '../../src-main/export/onnxInt8';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { serializeInt8Graph } from '../../src-main/graph/int8GraphJson';
import { runGraph } from '../../src-main/kernels/runGraph';
import type { ModelPackageMeta } from '../../src-main/models/packageMeta';
import { writeModelPackage } from '../../src-main/models/writePackage';
import { planMemory } from '../../src-main/planner/planMemory';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';

export interface TestPackage {
  readonly dir: string;
  readonly meta: ModelPackageMeta;
  readonly graph: Int8Graph;
  readonly blob: Uint8Array;
  /** The golden input set and the reference kernels' outputs for it (bit-exact expectation). */
  readonly golden: { inputs: Int8Array[]; outputs: Int8Array[] };
}

export function writeTestPackage(root: string, seed: number, inputHW: readonly [number, number] = [16, 12]): TestPackage {
  const base = randomTwoBranchGraph(seed, inputHW);
  const softmax = base.ops.find((op) => op.kind === 'softmax')!;
  // The packaged model's output is the logits, as packageFromPipeline's graphs' is.
  const graph: Int8Graph = { ...base, outputs: [softmax.input] };
  const plan = planMemory(graph);
  const id = `loader-test-${seed}`;
  const version = `1.0.${seed}`;
  const blob = writeFirmwareBlob(graph, plan, { modelId: id, modelVersion: version });
  const logits = graph.tensors[graph.outputs[0]!]!;
  const dir = path.join(root, id);
  const meta = writeModelPackage(
    dir,
    {
      formatVersion: 1,
      id,
      name: `Loader test ${seed}`,
      version,
      createdAt: '2026-11-25T00:00:00Z',
      task: { kind: 'audio', description: 'loader test', labels: Array.from({ length: Math.max(2, logits.shape.at(-1)!) }, (_, i) => `class${i}`) },
      modalities: graph.inputs.map((tid, k) => {
        // [frames, bands, 1]: the features must produce what the model takes (the package schema checks it).
        const shape = graph.tensors[tid]!.shape;
        return {
          name: graph.modalities[k]!,
          kind: 'audio' as const,
          inputShape: [...shape],
          features: { kind: 'logMel' as const, sampleRate: 16000, windowMs: 25, hopMs: 10, fftSize: 512, melBands: shape.slice(1).reduce((a, b) => a * b, 1), fMin: 50, fMax: 8000, frames: shape[0]! },
        };
      }),
      files: { int8Onnx: 'model.int8.onnx', firmwareBlob: 'model.tm2b', int8Graph: 'int8-graph.json' },
      int8: {
        inputs: graph.inputs.map((tid, k) => ({ modality: graph.modalities[k]!, scale: graph.tensors[tid]!.quant.scales[0]!, zeroPoint: graph.tensors[tid]!.quant.zeroPoint })),
        logits: { scale: logits.quant.scales[0]!, zeroPoint: logits.quant.zeroPoint },
      },
      accuracy: [],
      memory: { weightBytes: plan.weightBytes, peakActivationBytes: plan.arenaBytes, scratchBytes: 0, fits: [] },
      layers: [],
      pareto: [],
      provenance: { dataset: 'random test graph' },
    },
    {
      'model.int8.onnx': exportInt8GraphToOnnx(graph),
      'model.tm2b': blob,
      'int8-graph.json': new TextEncoder().encode(serializeInt8Graph(graph)),
    },
  );
  const inputs = randomInt8Inputs(graph, seed * 7919);
  return { dir, meta, graph, blob, golden: { inputs, outputs: runGraph(graph, inputs).outputs.map((o) => Int8Array.from(o)) } };
}
