/**
 * Generated pose sets → the pipeline's three subject-disjoint parts. Sets are generated once into a
 * cache folder (the generator is deterministic, so a folder whose manifest matches is reused) and
 * imported through the same loader a clinic's own labelled frames go through.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineData } from '../compress/pipeline';
import { loadPoseSampleSet, type PoseFeatureParams } from '../frames/poseSamples';
import type { ImportReport } from '../frames/labelledSet';
import { generatePoseSet, POSEGEN_VERSION } from '../posegen/poseSet';
import type { FrameSize } from '../posegen/sample';
import { depthThermalAugmenter } from './augment';
import { POSE_FEATURES, POSE_LABELS } from './poseRecipe';
import { indicesOfGroups, subset, type SampleSet } from './sampleSet';

export interface PoseSetSpec {
  readonly n: number;
  readonly seed: number;
  readonly subjectSeed: number;
  readonly subjects: number;
}

function matches(dir: string, spec: PoseSetSpec, depthSize: FrameSize, thermalSize: FrameSize): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return m.version === POSEGEN_VERSION && m.n === spec.n && m.seed === spec.seed && m.subjectSeed === spec.subjectSeed && same(m.depthSize, depthSize) && same(m.thermalSize, thermalSize) && Array.isArray(m.subjects) && m.subjects.length === spec.subjects;
  } catch {
    return false;
  }
}

/** The set described by `spec` in `dir`, generated unless a matching one is already there. */
export async function ensurePoseSet(dir: string, spec: PoseSetSpec, depthSize: FrameSize, thermalSize: FrameSize, onProgress?: (done: number, total: number) => void): Promise<'reused' | 'generated'> {
  if (matches(dir, spec, depthSize, thermalSize)) return 'reused';
  await generatePoseSet({ out: dir, ...spec, depthSize, thermalSize, replace: true, sheetPerClass: 0, ...(onProgress ? { onProgress } : {}) });
  return 'generated';
}

export async function loadPoseSet(dir: string, f: PoseFeatureParams = POSE_FEATURES): Promise<{ set: SampleSet; report: ImportReport }> {
  return loadPoseSampleSet(dir, { ...f, labels: POSE_LABELS });
}

/**
 * Training, validation and test parts: validation is the last few training subjects by id (fixed, and
 * never trained on), test a separately generated set whose subjects must not appear in training.
 */
export function posePipelineData(all: SampleSet, test: SampleSet, valSubjects: number, f: PoseFeatureParams = POSE_FEATURES): PipelineData {
  const subjects = [...new Set(all.groups)].sort();
  if (!Number.isInteger(valSubjects) || valSubjects < 1 || valSubjects >= subjects.length) throw new Error(`valSubjects must be from 1 to ${subjects.length - 1}, got ${valSubjects}`);
  const testSubjects = new Set(test.groups);
  const shared = subjects.filter((s) => testSubjects.has(s));
  if (shared.length) throw new Error(`the test set shares subjects with the training set (${shared.slice(0, 3).join(', ')}); generate it with another subject seed`);
  const val = new Set(subjects.slice(-valSubjects));
  return {
    train: subset(all, indicesOfGroups(all, val, false)),
    val: subset(all, indicesOfGroups(all, val, true)),
    test,
    modalities: [
      { name: 'depth', input: [f.depth.height, f.depth.width, 1] },
      { name: 'thermal', input: [f.thermal.height, f.thermal.width, 1] },
    ],
    classes: POSE_LABELS.length,
    augment: depthThermalAugmenter(),
  };
}
