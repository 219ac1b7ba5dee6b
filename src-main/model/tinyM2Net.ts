/**
 * The TinyM²Net family: per modality a Conv2D block followed by separable-conv blocks, each
 * batch-normed, ReLU'd and max-pooled, then global average pooling; the branches are concatenated
 * and classified by a small dense head. The teacher and every student of the distillation search are
 * points of this one family, so a student differs from its teacher only in width, depth and kernel.
 */
import type { ArchitectureInput, BranchLayerSpec, Shape3 } from './architecture';

export interface ModalityInput {
  readonly name: string;
  readonly input: Shape3;
}

export interface FamilyOptions {
  readonly name: string;
  readonly modalities: readonly ModalityInput[];
  readonly classes: number;
  /** Scales every block's filter count (block i has 8·2^i filters at 1.0, capped at 64). */
  readonly widthMultiplier: number;
  /** Conv blocks per branch (≥ 1): one Conv2D, then depth − 1 separable convolutions. */
  readonly depth: number;
  readonly kernelSize: number;
  /** Hidden dense units after the fusion; 0 goes straight to the logits. */
  readonly denseUnits: number;
  readonly activation?: 'relu' | 'relu6';
  /**
   * How a branch's last feature map becomes its fusion features. 'global' (default) averages over both
   * axes. 'time' averages over the first axis only (time, for log-mel inputs [frames, bands, 1]) and keeps
   * the second: a spectral-envelope cue such as voice pitch lives in *which* bands are active, which a
   * global average throws away. Measured on Coswara gender (5-fold CV), it is not yet the default: the
   * w0.75-d3-fc8 student alone went from 51 to 75 %, but the whole recipe did not beat the global one.
   */
  readonly pooling?: 'global' | 'time';
}

function filtersFor(block: number, widthMultiplier: number): number {
  return Math.max(2, Math.round(Math.min(64, 8 * 2 ** block) * widthMultiplier));
}

function branchLayers(input: Shape3, o: FamilyOptions): BranchLayerSpec[] {
  const layers: BranchLayerSpec[] = [];
  let [h, w] = input;
  const activation = o.activation ?? 'relu';
  for (let block = 0; block < o.depth; block++) {
    const filters = filtersFor(block, o.widthMultiplier);
    const kernel: [number, number] = [o.kernelSize, o.kernelSize];
    const common = { filters, kernel, stride: [1, 1] as [number, number], padding: 'same' as const, batchNorm: true, activation };
    layers.push(
      block === 0
        ? { kind: 'conv2d', name: `conv${block}`, ...common }
        : { kind: 'separableConv2d', name: `sepconv${block}`, depthMultiplier: 1, ...common },
    );
    // Pool while there is something left to pool; tiny inputs simply stop shrinking.
    const size: [number, number] = [Math.min(2, h), Math.min(2, w)];
    if (size[0] > 1 || size[1] > 1) {
      layers.push({ kind: 'maxPool', name: `pool${block}`, size });
      h = Math.floor(h / size[0]);
      w = Math.floor(w / size[1]);
    }
  }
  if (o.pooling === 'time') {
    if (h > 1) layers.push({ kind: 'avgPool', name: 'timepool', size: [h, 1] });
  } else {
    layers.push({ kind: 'globalAvgPool', name: 'gap' });
  }
  return layers;
}

export function tinyM2Net(o: FamilyOptions): ArchitectureInput {
  if (o.depth < 1) throw new Error(`tinyM2Net "${o.name}": depth must be at least 1, got ${o.depth}`);
  return {
    name: o.name,
    modalities: o.modalities.map((m) => ({ name: m.name, input: [m.input[0], m.input[1], m.input[2]], layers: branchLayers(m.input, o) })),
    head: o.denseUnits > 0 ? [{ kind: 'dense', name: 'fc', units: o.denseUnits, activation: o.activation ?? 'relu' }] : [],
    classes: o.classes,
  };
}

type Shared = Pick<FamilyOptions, 'modalities' | 'classes'>;

/** The large teacher that distillation learns from. */
export function teacherArchitecture(o: Shared & Partial<Omit<FamilyOptions, keyof Shared>>): ArchitectureInput {
  return tinyM2Net({ name: 'teacher', widthMultiplier: 2, depth: 4, kernelSize: 3, denseUnits: 64, ...o });
}

/** A student; the search varies widthMultiplier, depth and kernelSize. */
export function studentArchitecture(o: Shared & Partial<Omit<FamilyOptions, keyof Shared>>): ArchitectureInput {
  return tinyM2Net({ name: 'student', widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 16, ...o });
}
