/**
 * A named data set in the store, seen as labelled depth + thermal frames: every frame pair of the
 * selected participants with its per-frame label, read back from the blobs (the original files' exact
 * bytes) with the encoding recorded at import, and turned into model samples by the same code the Pose
 * page and the bundled model's training use (poseSamples.ts). This is how the Retrain wizard retrains
 * the pose model on a clinic's own frames.
 */
import type { DepthFrame } from '../frames/depthFrame';
import { decodeDepthPng } from '../frames/depthFrame';
import { FrameError } from '../frames/frameError';
import { readFrameFile } from '../frames/frameFile';
import type { PoseSample } from '../frames/labelledSet';
import { poseSampleSet, type PoseSampleOptions } from '../frames/poseSamples';
import { checkAspect, resizeDepth, resizeThermal } from '../frames/resize';
import { decodeThermal, type ThermalEncoding, type ThermalFrame } from '../frames/thermalFrame';
import { DEFAULT_SPLIT_SEED, groupedStratifiedKFold, SplitError } from '../datasets/split';
import { POSE_CLASSES } from '../posegen/poseClass';
import type { SampleSet } from '../train/sampleSet';
import { blobPath } from './blobStore';
import { loadDataset } from './datasets';
import { DEFAULT_FRAME_LABEL_COLUMN, type FrameLoadOptions } from './importFrames';
import type { Store } from './store';

export interface StoredFramePair {
  readonly id: number;
  readonly subject: string;
  readonly frameKey: string;
  readonly labelColumn: string;
  readonly label: string;
  /** The blobs: the original files' exact bytes. */
  readonly depthPath: string;
  readonly thermalPath: string;
  readonly depthSha256: string;
  readonly thermalSha256: string;
  readonly thermalEncoding: ThermalEncoding;
  readonly loadOptions: FrameLoadOptions;
  /** Where the files were imported from (for messages; they may have moved since). */
  readonly sourceDepthPath: string;
  readonly sourceThermalPath: string;
}

export interface StoreFrameSet {
  readonly name: string;
  readonly labelColumn: string;
  /** Sorted by subject, then frame key. */
  readonly pairs: readonly StoredFramePair[];
  /** Every depth and thermal blob hash the pairs use, sorted: what a training run records. */
  readonly hashes: readonly string[];
}

interface PairRow {
  id: number;
  subject: string;
  frameKey: string;
  labelColumn: string;
  label: string;
  depthSha256: string;
  thermalSha256: string;
  thermalEncoding: string;
  loadOptions: string;
  depthSource: string;
  thermalSource: string;
}

/**
 * The frame pairs of data set `name` labelled in `labelColumn` (default: the data set's own label
 * column when its frames use it, else 'pose'). When a participant has two pairs under one frame key
 * (the files were changed and imported again), the latest import wins.
 */
export function framePairsFromStore(store: Store, name: string, labelColumn?: string): StoreFrameSet {
  const selection = loadDataset(store, name);
  if (!selection) throw new Error(`${store.file}: no data set named '${name}'`);
  const rows = store.db
    .prepare(
      `SELECT p.id, p.subject, p.frame_key AS frameKey, p.label_column AS labelColumn, p.label, p.depth_sha256 AS depthSha256,
              p.thermal_sha256 AS thermalSha256, p.thermal_encoding AS thermalEncoding, p.load_options AS loadOptions,
              p.depth_path AS depthSource, p.thermal_path AS thermalSource
       FROM frame_pairs p JOIN dataset_subjects ds ON ds.subject = p.subject WHERE ds.dataset_id = ? ORDER BY p.id`,
    )
    .all(selection.id) as PairRow[];
  const column =
    labelColumn ?? (selection.labelColumn !== null && rows.some((r) => r.labelColumn === selection.labelColumn) ? selection.labelColumn : DEFAULT_FRAME_LABEL_COLUMN);
  const latest = new Map<string, PairRow>();
  for (const r of rows) if (r.labelColumn === column) latest.set(`${r.subject}\u0000${r.frameKey}`, r);
  const pairs = [...latest.values()]
    .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.frameKey < b.frameKey ? -1 : a.frameKey > b.frameKey ? 1 : 0))
    .map(
      (r): StoredFramePair => ({
        id: r.id,
        subject: r.subject,
        frameKey: r.frameKey,
        labelColumn: r.labelColumn,
        label: r.label,
        depthPath: blobPath(store.blobsDir, r.depthSha256),
        thermalPath: blobPath(store.blobsDir, r.thermalSha256),
        depthSha256: r.depthSha256,
        thermalSha256: r.thermalSha256,
        thermalEncoding: JSON.parse(r.thermalEncoding) as ThermalEncoding,
        loadOptions: JSON.parse(r.loadOptions) as FrameLoadOptions,
        sourceDepthPath: r.depthSource,
        sourceThermalPath: r.thermalSource,
      }),
    );
  return { name, labelColumn: column, pairs, hashes: frameHashes(pairs) };
}

export function frameHashes(pairs: readonly StoredFramePair[]): string[] {
  return [...new Set(pairs.flatMap((p) => [p.depthSha256, p.thermalSha256]))].sort();
}

/**
 * The class order to train with when none is given: the pose model's own classes when every label is
 * one of them (so a retrained model keeps the bundled model's outputs), otherwise the labels found, sorted.
 */
export function defaultFrameLabels(pairs: readonly StoredFramePair[]): string[] {
  const found = [...new Set(pairs.map((p) => p.label))].sort();
  return found.every((l) => (POSE_CLASSES as readonly string[]).includes(l)) ? [...POSE_CLASSES] : found;
}

/** Reads one stored pair back, resized to the model's input sizes; a damaged blob is an error naming it and its source. */
async function loadStoredPair(p: StoredFramePair, o: PoseSampleOptions): Promise<PoseSample> {
  let depth: DepthFrame;
  let thermal: ThermalFrame;
  try {
    // Blobs are named by their hash inside the store: never a link, and capped like the frames they were.
    const [db, tb] = await Promise.all([readFrameFile(p.depthPath, { insideFolder: true }), readFrameFile(p.thermalPath, { insideFolder: true })]);
    depth = decodeDepthPng(db, p.depthPath, p.loadOptions.depthMaxMm !== undefined ? { maxMm: p.loadOptions.depthMaxMm } : {});
    thermal = decodeThermal(tb, p.thermalPath, { encoding: p.thermalEncoding, ...(p.loadOptions.thermalRangeC ? { validRangeC: p.loadOptions.thermalRangeC } : {}) });
    // Resized now rather than inside poseSampleSet so only model-sized frames are held for the whole set.
    checkAspect(p.depthPath, depth, o.depth);
    checkAspect(p.thermalPath, thermal, o.thermal);
  } catch (e) {
    if (!(e instanceof FrameError)) throw e;
    throw new Error(`frame ${p.frameKey} of subject ${p.subject} (imported from ${e.file === p.depthPath ? p.sourceDepthPath : p.sourceThermalPath}): ${e.message}`);
  }
  return {
    label: p.label,
    subject: p.subject,
    frame: p.frameKey,
    depthFile: p.depthPath,
    thermalFile: p.thermalPath,
    depth: resizeDepth(depth, o.depth.width, o.depth.height),
    thermal: resizeThermal(thermal, o.thermal.width, o.thermal.height),
  };
}

/** Stored pairs → model samples (depth, then thermal), labels in `o.labels` order, grouped by subject. */
export async function frameSampleSet(pairs: readonly StoredFramePair[], o: PoseSampleOptions, onProgress?: (done: number, total: number) => void): Promise<SampleSet> {
  const samples: PoseSample[] = [];
  for (const p of pairs) {
    samples.push(await loadStoredPair(p, o));
    onProgress?.(samples.length, pairs.length);
  }
  return poseSampleSet(samples, o);
}

export interface FrameSubjectSplit {
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
}

/**
 * Whole participants to train, validation and test. Every participant has frames of many poses, so the
 * folds balance participants, not labels: test is the first of up to five seeded folds, validation the
 * next fold (or the first `valSubjects` participants of the remaining folds), training the rest.
 */
export function splitFrameSubjects(subjects: readonly string[], o: { readonly valSubjects?: number; readonly seed?: number } = {}): FrameSubjectSplit {
  const unique = [...new Set(subjects)].sort();
  if (unique.length < 3) throw new SplitError(`training on stored frames needs at least 3 participants (train, validation and test never share one); found ${unique.length}`);
  const folds = groupedStratifiedKFold(unique.map((group) => ({ group, label: 'frames' })), { k: Math.min(5, unique.length), seed: o.seed ?? DEFAULT_SPLIT_SEED });
  const test = [...folds[0]!.groups];
  const rest = folds.slice(1).flatMap((f) => f.groups);
  let val: string[];
  if (o.valSubjects === undefined) val = [...folds[1]!.groups];
  else {
    if (!Number.isInteger(o.valSubjects) || o.valSubjects < 1 || o.valSubjects >= rest.length) {
      throw new SplitError(`valSubjects must be from 1 to ${rest.length - 1} (${unique.length} participants, ${test.length} held out for test), got ${o.valSubjects}`);
    }
    val = rest.slice(0, o.valSubjects);
  }
  const inVal = new Set(val);
  return { train: rest.filter((s) => !inVal.has(s)).sort(), val: val.sort(), test: test.sort() };
}
