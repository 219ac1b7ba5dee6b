/**
 * Model-ready samples: one float tensor per modality (NHWC, samples back to back), an integer label
 * and the participant each sample came from (so splits never put one person on both sides).
 */
export interface SampleSet {
  readonly count: number;
  /** Per modality, `count` samples of `sampleSizes[m]` values each. */
  readonly modalities: readonly Float32Array[];
  readonly sampleSizes: readonly number[];
  readonly labels: Int32Array;
  /** Participant / subject id per sample. */
  readonly groups: readonly string[];
  /** Which modalities each sample really has (false = filled with silence because the recording was unusable). */
  readonly present: readonly (readonly boolean[])[];
}

/** The samples at `indices`, copied, in that order. */
export function subset(set: SampleSet, indices: ArrayLike<number>): SampleSet {
  const n = indices.length;
  const modalities = set.modalities.map((values, m) => {
    const size = set.sampleSizes[m]!;
    const out = new Float32Array(n * size);
    for (let k = 0; k < n; k++) out.set(values.subarray(indices[k]! * size, (indices[k]! + 1) * size), k * size);
    return out;
  });
  const labels = new Int32Array(n);
  const groups: string[] = [];
  const present: boolean[][] = [];
  for (let k = 0; k < n; k++) {
    labels[k] = set.labels[indices[k]!]!;
    groups.push(set.groups[indices[k]!]!);
    present.push([...set.present[indices[k]!]!]);
  }
  return { count: n, modalities, sampleSizes: set.sampleSizes, labels, groups, present };
}

/** Indices of the samples whose group is (or is not) in `groups`. */
export function indicesOfGroups(set: SampleSet, groups: ReadonlySet<string>, inside = true): number[] {
  const out: number[] = [];
  set.groups.forEach((g, i) => {
    if (groups.has(g) === inside) out.push(i);
  });
  return out;
}
