/**
 * The Retrain wizard on depth + thermal frames (the pose case): a frame folder goes into the store as
 * labelled frame pairs; review counts frames per class and participants; the held-out participants'
 * frames score both the new and the current pose model through the same int8 path the Pose page uses.
 * Labels here belong to frames (a person stands, then sits), so splits balance participants, not labels.
 */
import { SplitError } from '../../datasets/split';
import { FrameError } from '../../frames/frameError';
import { absentFrameFill } from '../../infer/frameInput';
import { evaluateSamples, type SampleEvaluation } from '../../infer/evaluateSamples';
import type { ModelSession } from '../../infer/modelSession';
import type { FrameFeatureParams } from '../../models/packageMeta';
import { importFrames } from '../../store/importFrames';
import type { Store } from '../../store/store';
import { framePairsFromStore, frameSampleSet, type StoreFrameSet } from '../../store/storeFrames';
import type { ApiResponse } from '../contract';
import { ServiceError } from '../dispatch';
import { storeImportResponse } from './retrainSessions';

type ImportResponse = ApiResponse<'retrain.import'>;
type Review = ApiResponse<'retrain.review'>;

/** Fewer frames than this in a class and its held-out score rests on a handful of frames. */
const SMALL_FRAME_CLASS = 20;
/** Held out, validation, training: at least one participant each, and some spread. */
const MIN_FRAME_PARTICIPANTS = 5;

/** The frame pairs of a store data set, or undefined when it holds recordings instead. */
export function storedFrameSet(store: Store, datasetName: string, labelColumn?: string): StoreFrameSet | undefined {
  const set = framePairsFromStore(store, datasetName, labelColumn);
  return set.pairs.length > 0 ? set : undefined;
}

/** Label columns the frames of a data set are labelled in. */
export function frameLabelColumns(store: Store, datasetName: string): string[] {
  const rows = store.db
    .prepare(
      `SELECT DISTINCT p.label_column AS c FROM frame_pairs p JOIN dataset_subjects ds ON ds.subject = p.subject JOIN datasets d ON d.id = ds.dataset_id
       WHERE d.name = ? ORDER BY c`,
    )
    .all(datasetName) as { c: string }[];
  return rows.map((r) => r.c);
}

export async function importFrameFolder(store: Store, source: string, datasetName: string): Promise<ImportResponse> {
  let report: Awaited<ReturnType<typeof importFrames>>;
  try {
    report = await importFrames(store, source);
  } catch (e) {
    // The loader's own refusals (no such folder, a malformed manifest) name the path; a TypeError stays a bug report.
    if (e instanceof FrameError || (e instanceof Error && e.constructor === Error)) throw new ServiceError(`field 'source': ${e.message}`);
    throw e;
  }
  const failed = report.failed.map((f) => ({
    ref: { path: f.file, subject: subjectOfPath(source, f.file), modality: /_thermal\b/i.test(f.file) ? 'thermal' : /_depth\b/i.test(f.file) ? 'depth' : '' },
    reason: f.reason,
    message: f.message,
  }));
  const stored = report.stored.map((s) => ({ ref: { path: s.depthFile, subject: s.subject, modality: 'depth+thermal' } }));
  return storeImportResponse(
    store,
    datasetName,
    report.labelColumn,
    { layout: `frames (${report.layout})`, recordings: stored.length + failed.length, labelColumns: [report.labelColumn], problems: [] },
    { stored, failed },
  );
}

/** `<root>/<label>/<subject>/<file>` → subject, for naming a bad file's participant in the report. */
function subjectOfPath(root: string, file: string): string {
  const rest = file.startsWith(root) ? file.slice(root.length).split(/[\\/]/).filter(Boolean) : [];
  return rest.length >= 3 ? rest[1]! : '';
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

export function frameReview(
  set: StoreFrameSet,
  labelColumns: readonly string[],
  planSplit: (subjects: readonly string[]) => { heldOut: string[]; train: string[] },
): Omit<Review, 'datasetName'> {
  const subjects = [...new Set(set.pairs.map((p) => p.subject))].sort();
  const labelCounts = countBy(set.pairs, (p) => p.label);
  const warnings: string[] = [];
  let trainable = true;
  if (Object.keys(labelCounts).length < 2) {
    warnings.push(`only one class (${Object.keys(labelCounts)[0] ?? 'none'}) is labelled; a model needs at least two`);
    trainable = false;
  }
  if (subjects.length < MIN_FRAME_PARTICIPANTS) {
    warnings.push(`frames of only ${subjects.length} participants; at least ${MIN_FRAME_PARTICIPANTS} are needed so training, validation and the held-out comparison never share a person`);
    trainable = false;
  }
  for (const [label, n] of Object.entries(labelCounts).sort()) {
    if (n < SMALL_FRAME_CLASS) warnings.push(`class '${label}' is small (${n} frames): its held-out score rests on very few frames`);
  }
  let split: Review['split'];
  if (trainable) {
    try {
      const plan = planSplit(subjects);
      const held = new Set(plan.heldOut);
      split = {
        heldOut: plan.heldOut,
        train: plan.train,
        heldOutCounts: countBy(set.pairs.filter((p) => held.has(p.subject)), (p) => p.label),
        trainCounts: countBy(set.pairs.filter((p) => !held.has(p.subject)), (p) => p.label),
      };
    } catch (e) {
      if (!(e instanceof SplitError)) throw e;
      warnings.push(e.message);
      trainable = false;
    }
  }
  return {
    labelColumn: set.labelColumn,
    labelColumns: [...labelColumns],
    participants: subjects.length,
    unit: 'frames',
    labelCounts,
    modalities: [
      { name: 'depth', recordings: set.pairs.length },
      { name: 'thermal', recordings: set.pairs.length },
    ],
    quality: [],
    ...(split ? { split } : {}),
    warnings,
    trainable,
  };
}

/** A frame model scored on the stored frames of `heldOutName`, one score per frame. */
export async function evaluateOnFrames(session: ModelSession, store: Store, heldOutName: string, labelColumn: string): Promise<SampleEvaluation> {
  const { meta } = session;
  const [depth, thermal] = meta.modalities;
  if (meta.modalities.length !== 2 || depth?.kind !== 'depth' || thermal?.kind !== 'thermal') throw new ServiceError(`${meta.id} is not a depth + thermal model`);
  const set = framePairsFromStore(store, heldOutName, labelColumn);
  const known = new Set(meta.task.labels);
  const pairs = set.pairs.filter((p) => known.has(p.label));
  const labels = [...new Set(pairs.map((p) => p.label))].sort();
  const samples = await frameSampleSet(pairs, { depth: depth.features as FrameFeatureParams, thermal: thermal.features as FrameFeatureParams, labels });
  return evaluateSamples(session, samples, labels, [absentFrameFill(depth), absentFrameFill(thermal)]);
}
