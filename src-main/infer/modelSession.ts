/**
 * A loaded model package: its metadata and an onnxruntime-node session on the int8 ONNX model. Inputs
 * are int8 feature maps (NHWC, one per modality), the output the int8 logits; quantization parameters
 * for both come from the package, so every caller quantizes exactly as calibration did.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadPackage } from '../models/catalog';
import { INPUT_LIMITS, readInputFile, resolveInside } from '../storage/inputFile';
import type { Int8Io, ModelPackageMeta } from '../models/packageMeta';
import { InferenceError } from './inferenceError';

export interface ModelSession {
  readonly meta: ModelPackageMeta;
  readonly dir: string;
  readonly io: Int8Io;
  /** int8 inputs in the package's modality order → int8 logits. */
  run(inputs: readonly Int8Array[]): Promise<Int8Array>;
  release(): Promise<void>;
}

export async function openModelSession(dir: string): Promise<ModelSession> {
  const loaded = await loadPackage(dir);
  if ('reason' in loaded) throw new InferenceError(`${loaded.path}: ${loaded.reason}`, 'model');
  const meta = loaded;
  if (!meta.int8) throw new InferenceError(`${join(dir, 'model.json')}: field 'int8' is missing (the package has no input quantization)`, 'model');
  const io = meta.int8;
  let onnxPath: string;
  let onnxBytes: Buffer;
  try {
    onnxPath = resolveInside(dir, meta.files.int8Onnx, 'files.int8Onnx');
    onnxBytes = await readInputFile(onnxPath, { maxBytes: INPUT_LIMITS.modelFileBytes, kind: 'model file', noSymlink: true });
  } catch (e) {
    // loadPackage checked this file; it can only fail here if it was swapped or removed since.
    throw new InferenceError(e instanceof Error ? e.message : String(e), 'model');
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (e) {
    throw new InferenceError(`${onnxPath}: onnxruntime cannot load this model (${(e as Error).message.split('\n')[0]})`, 'model');
  }
  const names = meta.modalities.map((m) => m.name);
  const missing = names.filter((n) => !session.inputNames.includes(n));
  if (missing.length) throw new InferenceError(`${onnxPath}: the ONNX model has no input for ${missing.join(', ')} (it has ${session.inputNames.join(', ')})`, 'model');
  return {
    meta,
    dir,
    io,
    async run(inputs) {
      if (inputs.length !== names.length) throw new InferenceError(`the model takes ${names.length} inputs, got ${inputs.length}`);
      const feeds: Record<string, ort.Tensor> = {};
      meta.modalities.forEach((m, i) => {
        const expected = m.inputShape.reduce((a, b) => a * b, 1);
        if (inputs[i]!.length !== expected) throw new InferenceError(`input '${m.name}': ${inputs[i]!.length} values, expected ${expected}`);
        feeds[m.name] = new ort.Tensor('int8', inputs[i]!, [1, ...m.inputShape]);
      });
      const out = await session.run(feeds);
      return out[session.outputNames[0]!]!.data as Int8Array;
    },
    release: () => session.release(),
  };
}
