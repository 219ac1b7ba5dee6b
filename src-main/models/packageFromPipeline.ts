/**
 * A trained, compressed model → a model package: the int8 ONNX model the app runs, the float ONNX model,
 * the int8 graph (the integers the devices run), the architecture, and model.json with everything a
 * person or a device needs: labels, feature parameters, input/output quantization, accuracy with its
 * method, memory per target, the layer table and the distillation search's Pareto front.
 */
import { foldBatchNorm } from '../compress/foldBatchNorm';
import type { PipelineResult } from '../compress/pipeline';
import { exportFloatModelToOnnx } from '../export/onnxFloat';
import { exportInt8GraphToOnnx } from '../export/onnxInt8';
import { writeFirmwareBlob } from '../export/firmwareBlob';
import { tensorBytes, type Int8Graph } from '../graph/int8Graph';
import { serializeInt8Graph } from '../graph/int8GraphJson';
import { allLayers, type BuiltArchitecture } from '../model/architecture';
import { fitTargets } from '../planner/memoryFit';
import type { MemoryPlan } from '../planner/planMemory';
import { bundledTargets } from '../planner/target';
import type { ModelPackageMeta } from './packageMeta';
import { writeModelPackage } from './writePackage';

type Meta = Omit<ModelPackageMeta, 'sha256'>;

export interface PackageDescription {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly task: Meta['task'];
  /** Per modality, in the model's order: how to capture it and compute its features. */
  readonly modalities: readonly Omit<Meta['modalities'][number], 'inputShape'>[];
  readonly accuracy: Meta['accuracy'];
  readonly provenance: Meta['provenance'];
  readonly codeVersion?: string;
}

/** Per-layer rows: parameters and int8 weight bytes from the graph, activation bytes of each output. */
export function layerTable(arch: BuiltArchitecture, graph: Int8Graph): Meta['layers'] {
  const byName = new Map(graph.tensors.map((t) => [t.name, t]));
  return allLayers(arch).map((layer) => {
    const constants = [`${layer.name}/weights`, `${layer.name}/bias`, `${layer.name}/depthwise/weights`, `${layer.name}/depthwise/bias`]
      .map((n) => byName.get(n))
      .filter((t) => t !== undefined);
    return {
      name: layer.name,
      op: layer.kind,
      outputShape: [...layer.outShape],
      params: layer.params,
      weightBytes: constants.reduce((s, t) => s + tensorBytes(t), 0),
      activationBytes: layer.outShape.reduce((a, b) => a * b, 1),
      macs: layer.macs,
    };
  });
}

export function memoryBlock(arch: BuiltArchitecture, plan: MemoryPlan): Meta['memory'] {
  return {
    weightBytes: plan.weightBytes,
    peakActivationBytes: plan.peakActivationBytes,
    scratchBytes: plan.scratchBytes,
    parameters: arch.params,
    macs: arch.macs,
    fits: fitTargets(plan, bundledTargets()),
  };
}

export function writePipelinePackage(dir: string, d: PackageDescription, r: Omit<PipelineResult, 'seconds'>, extraFiles: Readonly<Record<string, Uint8Array>> = {}): ModelPackageMeta {
  const { graph, student, plan } = r;
  const enc = new TextEncoder();
  const int8Onnx = exportInt8GraphToOnnx(graph, { producerVersion: d.codeVersion ?? '0' });
  const floatOnnx = exportFloatModelToOnnx(student.arch, foldBatchNorm(student.arch, student.weights), d.codeVersion ?? '0');
  const logits = graph.tensors[graph.outputs[0]!]!;
  const meta: Meta = {
    formatVersion: 1,
    id: d.id,
    name: d.name,
    version: d.version,
    createdAt: new Date().toISOString(),
    task: d.task,
    modalities: d.modalities.map((m, i) => ({ ...m, inputShape: [...student.arch.branches[i]!.input] })),
    files: { int8Onnx: 'model.int8.onnx', floatOnnx: 'model.float.onnx', int8Graph: 'int8-graph.json', architecture: 'architecture.json', firmwareBlob: 'model.tm2b' },
    int8: {
      inputs: graph.inputs.map((id, i) => ({ modality: graph.modalities[i]!, scale: graph.tensors[id]!.quant.scales[0]!, zeroPoint: graph.tensors[id]!.quant.zeroPoint })),
      logits: { scale: logits.quant.scales[0]!, zeroPoint: logits.quant.zeroPoint },
    },
    ...('quantization' in r ? { quantization: r.quantization } : {}),
    accuracy: d.accuracy,
    memory: memoryBlock(student.arch, plan),
    layers: layerTable(student.arch, graph),
    pareto: r.search.points
      .filter((p) => p.valBalancedAccuracy !== undefined)
      .map((p) => ({ label: p.label, bytes: p.cost.weightBytes, accuracy: p.valBalancedAccuracy!, chosen: p.chosen })),
    provenance: d.provenance,
  };
  return writeModelPackage(dir, meta, {
    'model.int8.onnx': int8Onnx,
    'model.float.onnx': floatOnnx,
    'int8-graph.json': enc.encode(serializeInt8Graph(graph)),
    'architecture.json': enc.encode(JSON.stringify(student.arch.spec, null, 2)),
    // What the C runtime loads: the same integers, with the planner's arena offsets.
    'model.tm2b': writeFirmwareBlob(graph, plan, { modelId: d.id, modelVersion: d.version }),
    ...extraFiles,
  });
}
