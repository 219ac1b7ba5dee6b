/**
 * A labelled depth + thermal set → model samples: two modalities (depth, then thermal) normalised by
 * frameFeatures from the same feature parameters the model package records, integer labels in the
 * given class order, and the subject as each sample's group so splits never put one person on both sides.
 */
import type { FrameFeatureParams } from '../models/packageMeta';
import type { SampleSet } from '../train/sampleSet';
import { depthFeatures, thermalFeatures } from './frameFeatures';
import { importLabelledSet, type ImportReport, type PoseSample } from './labelledSet';

export interface PoseFeatureParams {
  readonly depth: FrameFeatureParams;
  readonly thermal: FrameFeatureParams;
}

export interface PoseSampleOptions extends PoseFeatureParams {
  /** Class order of the model's outputs; a sample with any other label is an error naming its file. */
  readonly labels: readonly string[];
}

export function poseSampleSet(samples: readonly PoseSample[], o: PoseSampleOptions): SampleSet {
  const depthSize = o.depth.width * o.depth.height;
  const thermalSize = o.thermal.width * o.thermal.height;
  const depth = new Float32Array(samples.length * depthSize);
  const thermal = new Float32Array(samples.length * thermalSize);
  const labels = new Int32Array(samples.length);
  const index = new Map(o.labels.map((l, i) => [l, i]));
  samples.forEach((s, n) => {
    const label = index.get(s.label);
    if (label === undefined) throw new Error(`${s.depthFile}: label '${s.label}' is not one of the model's classes (${o.labels.join(', ')})`);
    labels[n] = label;
    depth.set(depthFeatures(s.depth, o.depth, s.depthFile), n * depthSize);
    thermal.set(thermalFeatures(s.thermal, o.thermal, s.thermalFile), n * thermalSize);
  });
  return {
    count: samples.length,
    modalities: [depth, thermal],
    sampleSizes: [depthSize, thermalSize],
    labels,
    groups: samples.map((s) => s.subject),
    present: samples.map(() => [true, true]),
  };
}

/** Imports `root` resized to the model's input sizes, then converts; the report lists skipped files. */
export async function loadPoseSampleSet(root: string, o: PoseSampleOptions & { readonly onProgress?: (done: number, total: number) => void }): Promise<{ set: SampleSet; report: ImportReport }> {
  const { samples, report } = await importLabelledSet(root, {
    depthSize: { width: o.depth.width, height: o.depth.height },
    thermalSize: { width: o.thermal.width, height: o.thermal.height },
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  if (samples.length === 0) throw new Error(`${root}: no usable depth + thermal samples (${report.problems.length} problems, first: ${report.problems[0]?.message ?? 'none'})`);
  return { set: poseSampleSet(samples, o), report };
}
