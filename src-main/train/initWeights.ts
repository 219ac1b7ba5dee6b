/** Initial weights: a pure function of the architecture and the seed. */
import { allLayers, type BuiltArchitecture } from '../model/architecture';
import type { ModelWeights, ParamTree } from '../model/weights';
import { seededRandom } from './random';

function fanIn(shape: readonly number[], name: string): number {
  // OIHW conv kernels read I·H·W inputs per output; dense [in, out] reads `in`.
  return shape.length === 4 ? shape[1]! * shape[2]! * shape[3]! : name === 'kernel' ? shape[0]! : 1;
}

/** He-normal kernels (the layers are ReLU'd), zero biases, identity batch-norm. Same seed, same weights. */
export function initWeights(arch: BuiltArchitecture, seed: number): ModelWeights {
  const random = seededRandom(seed);
  const params: ParamTree = {};
  const state: ParamTree = {};
  for (const layer of allLayers(arch)) {
    const p: Record<string, Float32Array> = {};
    for (const [name, shape] of Object.entries(layer.paramShapes)) {
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (name === 'gamma') values.fill(1);
      else if (name === 'kernel' || name === 'depthwise' || name === 'pointwise') {
        const std = Math.sqrt(2 / fanIn(shape, name));
        for (let i = 0; i < values.length; i++) values[i] = random.normal() * std;
      }
      p[name] = values;
    }
    if (Object.keys(p).length) params[layer.name] = p;
    const s: Record<string, Float32Array> = {};
    for (const [name, shape] of Object.entries(layer.stateShapes)) {
      s[name] = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(name === 'variance' ? 1 : 0);
    }
    if (Object.keys(s).length) state[layer.name] = s;
  }
  return { params, state };
}

