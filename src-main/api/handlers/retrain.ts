/**
 * The Retrain wizard's services. Data goes into the local store; the split holds out a participant-grouped
 * fold before anything is trained, so the new and the current model are measured on participants neither
 * has seen; training and compression run as background jobs (JobRunner, worker threads); the candidate
 * package stays in the run's folder until the analyst accepts it, and only then becomes a user model.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchPoint } from '../../compress/distillSearch';
import type { PipelineResult, QuantizationChoice, Recipe } from '../../compress/pipeline';
import { recipeWithEpochs } from '../../compress/recipeEpochs';
import { labelCounts, recordingRefs, type Dataset } from '../../datasets/dataset';
import { DatasetError } from '../../datasets/datasetError';
import { openDataset } from '../../datasets/openDataset';
import { DEFAULT_SPLIT_SEED, groupedStratifiedKFold, SplitError } from '../../datasets/split';
import { parseInt8Graph } from '../../graph/int8GraphJson';
import { evaluatePackage } from '../../infer/evaluatePackage';
import { openModelSession } from '../../infer/modelSession';
import { JobRunner, type JobEvent } from '../../jobs/jobRunner';
import type { CompressResult, JobDataSource } from '../../jobs/jobSpec';
import { readFloatModel } from '../../model/weightsFile';
import { scanModels } from '../../models/catalog';
import { writePipelinePackage } from '../../models/packageFromPipeline';
import { parseTargetLevel } from '../../planner/memoryFit';
import { planMemory } from '../../planner/planMemory';
import { bundledTargets, loadTargets, type Target } from '../../planner/target';
import { writeFileAtomic } from '../../storage/atomicFile';
import { resolveInside } from '../../storage/inputFile';
import { saveDataset } from '../../store/datasets';
import { importRecordings } from '../../store/importRecordings';
import { addModel, listModels, setModelStatus } from '../../store/modelRecords';
import { datasetFromStore } from '../../store/storeDataset';
import type { Store } from '../../store/store';
import { lazyLocalStore, type LocalStore } from '../localStore';
import { DEFAULT_AUDIO_RECIPE, SCREENING_AUDIO_MODALITIES } from '../../train/audioRecipe';
import { DEFAULT_POSE_RECIPE, POSE_FEATURES, poseModalities } from '../../train/poseRecipe';
import { isFrameSet } from '../../frames/frameSetLayout';
import { defaultFrameLabels } from '../../store/storeFrames';
import type { ApiEventPayload, ApiResponse } from '../contract';
import { ServiceError } from '../dispatch';
import type { retrainMethods, RetrainRunState } from '../methods/retrain';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';
import { evaluateOnFrames, frameLabelColumns, frameReview, importFrameFolder, storedFrameSet } from './retrainFrames';
import { createRetrainSessionHandlers, importedDatasetName, storeImportResponse } from './retrainSessions';

/** Below this many participants a class's held-out score rests on one or two people. */
const SMALL_CLASS = 10;
/** Below this a class cannot be spread over the held-out fold, validation and training at all. */
const TOO_SMALL_CLASS = 3;
const MIN_PARTICIPANTS = 10;
const FOLDS = 5;
const DEFAULT_BASELINE = { audio: 'coswara-gender-audio', pose: 'pose-depth-thermal' } as const;

type Evaluation = NonNullable<RetrainRunState['comparison']>['candidate'];

/** What a run remembers beyond what the page sees: its jobs, folders and the model it compares with. */
interface RunRecord extends RetrainRunState {
  /** What the run learns from; runs saved before frames were supported are audio. */
  readonly modelKind?: 'audio' | 'pose';
  readonly baselineModelId: string;
  readonly modelId: string;
  readonly seed: number;
  /** What the jobs are given, kept so an interrupted run can be resumed by a later app session. */
  readonly data: JobDataSource;
  readonly recipe: Recipe;
  readonly heldOutName: string;
  teacherJobId?: number;
  compressJobId?: number;
}

interface SplitPlan {
  readonly heldOut: string[];
  readonly train: string[];
  readonly heldOutCounts: Record<string, number>;
  readonly trainCounts: Record<string, number>;
}

function field(name: string, message: string): ServiceError {
  return new ServiceError(`field '${name}': ${message}`);
}

/** Participants with a value for `labelColumn` and at least one recording: the ones training can use. */
function usableSubjects(dataset: Dataset, labelColumn: string): { id: string; label: string }[] {
  return dataset.subjects
    .filter((s) => (s.labels[labelColumn] ?? '') !== '' && Object.keys(s.recordings).length > 0)
    .map((s) => ({ id: s.id, label: s.labels[labelColumn]! }));
}

function countBy(items: readonly { label: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { label } of items) out[label] = (out[label] ?? 0) + 1;
  return out;
}

/** The held-out fold is fold 0 of the same grouped, stratified folds the CLI and the benchmarks use. */
function planSplit(items: readonly { id: string; label: string }[]): SplitPlan {
  const folds = groupedStratifiedKFold(
    items.map((s) => ({ group: s.id, label: s.label })),
    { k: FOLDS, seed: DEFAULT_SPLIT_SEED },
  );
  const heldOut = new Set(folds[0]!.groups);
  const train = items.filter((s) => !heldOut.has(s.id));
  return { heldOut: [...heldOut].sort(), train: train.map((s) => s.id).sort(), heldOutCounts: { ...folds[0]!.labelCounts }, trainCounts: countBy(train) };
}

/** Frames are labelled per frame and every participant shows many poses: the held-out fold balances participants only. */
function planFrameSplit(subjects: readonly string[]): { heldOut: string[]; train: string[] } {
  const plan = planSplit(subjects.map((id) => ({ id, label: 'frames' })));
  return { heldOut: plan.heldOut, train: plan.train };
}

function reviewWarnings(items: readonly { id: string; label: string }[]): { warnings: string[]; trainable: boolean } {
  const counts = countBy(items);
  const warnings: string[] = [];
  let trainable = true;
  const labels = Object.keys(counts).sort();
  if (labels.length < 2) {
    warnings.push(`only one class (${labels[0] ?? 'none'}) is labelled; a model needs at least two`);
    trainable = false;
  }
  if (items.length < MIN_PARTICIPANTS) {
    warnings.push(`only ${items.length} labelled participants; at least ${MIN_PARTICIPANTS} are needed to hold some out`);
    trainable = false;
  }
  for (const label of labels) {
    const n = counts[label]!;
    if (n < TOO_SMALL_CLASS) {
      warnings.push(`class '${label}' has only ${n} participant${n === 1 ? '' : 's'}; at least ${TOO_SMALL_CLASS} are needed`);
      trainable = false;
    } else if (n < SMALL_CLASS) {
      warnings.push(`class '${label}' is small (${n} participants): its held-out score rests on very few people`);
    }
  }
  return { warnings, trainable };
}

function runStateOf(r: RunRecord): RetrainRunState {
  const { modelKind: _k, baselineModelId: _b, modelId: _m, seed: _s, data: _d, recipe: _r, heldOutName: _h, teacherJobId: _t, compressJobId: _c, ...state } = r;
  return state;
}

export function createRetrainHandlers(ctx: ServiceContext, localStore: LocalStore = lazyLocalStore(ctx.paths.dataDir)): GroupHandlers<typeof retrainMethods> {
  const runsDir = join(ctx.paths.dataDir, 'retrain', 'runs');
  const cacheDir = join(ctx.paths.dataDir, 'cache', 'features');
  const runs = new Map<string, RunRecord>();
  let store: Store | undefined;
  let runner: JobRunner | undefined;

  const targets = (): Target[] => {
    const dir = join(ctx.paths.resourcesDir, 'targets');
    return existsSync(dir) ? loadTargets(dir) : bundledTargets();
  };

  /** Opened on first use: an app that never retrains never creates a store or starts a worker. */
  const openAll = (): { store: Store; runner: JobRunner } => {
    if (!store) store = localStore();
    if (!runner) {
      runner = new JobRunner(store);
      runner.subscribe(onJobEvent);
      runner.start();
      loadRuns();
    }
    return { store, runner };
  };

  const runFile = (runId: string) => join(runsDir, runId, 'run.json');
  const save = (r: RunRecord) => writeFileAtomic(runFile(r.runId), `${JSON.stringify(r, null, 2)}\n`);

  /** Runs of an earlier session: one cut off mid-way is shown as interrupted, never as still running. */
  function loadRuns(): void {
    if (!existsSync(runsDir)) return;
    for (const id of readdirSync(runsDir)) {
      if (runs.has(id) || !existsSync(runFile(id))) continue;
      const r = JSON.parse(readFileSync(runFile(id), 'utf8')) as RunRecord;
      if (['queued', 'training', 'compressing', 'comparing'].includes(r.status)) {
        r.status = 'interrupted';
        r.detail = 'the app was closed while this run was in progress';
        save(r);
      }
      runs.set(id, r);
    }
  }

  const lastEmit = new Map<string, number>();
  function emit(r: RunRecord, force = false): void {
    const now = Date.now();
    // Batches report many times a second; the page needs a few updates a second, and every epoch.
    if (!force && now - (lastEmit.get(r.runId) ?? 0) < 250) return;
    lastEmit.set(r.runId, now);
    const payload: ApiEventPayload<'retrain.progress'> = {
      runId: r.runId,
      status: r.status,
      stage: r.stage,
      fraction: r.fraction,
      detail: r.detail,
      curves: r.curves,
      pareto: r.pareto,
      ...(r.etaSeconds !== undefined ? { etaSeconds: r.etaSeconds } : {}),
    };
    ctx.events.emit('retrain.progress', payload);
  }

  function onJobEvent(e: JobEvent): void {
    if (e.type !== 'progress') return;
    const r = [...runs.values()].find((x) => x.teacherJobId === e.jobId || x.compressJobId === e.jobId);
    if (!r || (r.status !== 'training' && r.status !== 'compressing')) return;
    const teacher = r.teacherJobId === e.jobId;
    const p = e.progress;
    // The teacher is about 45 % of the work, distillation and int8 about half, the comparison the rest.
    r.fraction = Math.min(1, teacher ? 0.45 * p.fraction : 0.45 + 0.5 * p.fraction);
    r.stage = teacher ? (p.stage === 'data' ? 'data' : 'teacher') : p.stage === 'data' ? 'data' : p.stage;
    r.detail = p.detail;
    if (p.etaSeconds !== undefined) r.etaSeconds = Math.max(0, p.etaSeconds);
    const incoming = Object.fromEntries(Object.entries(e.curves).map(([m, reps]) => [m, reps.map((x) => ({ ...x }))]));
    r.curves = { ...r.curves, ...incoming };
    emit(r, p.epoch !== undefined);
  }

  const getRun = (runId: string): RunRecord => {
    openAll();
    const r = runs.get(runId);
    if (!r) throw new ServiceError(`field 'runId': no retrain run '${runId}' on this machine`, 'not_found');
    return r;
  };

  async function evaluate(modelDir: string, heldOutName: string, labelColumn: string, labels: readonly string[], kind: 'audio' | 'pose'): Promise<Evaluation> {
    const session = await openModelSession(modelDir);
    const { meta } = session;
    const onnxBytes = statSync(resolveInside(modelDir, meta.files.int8Onnx, 'files.int8Onnx')).size;
    const base = { modelId: meta.id, modelName: meta.name, labels: [...meta.task.labels], weightBytes: meta.memory.weightBytes, onnxBytes };
    const empty = { participants: 0, balancedAccuracy: 0, accuracy: 0, confusion: [], meanLatencyMs: 0, skipped: 0 };
    try {
      const sameLabels = meta.task.labels.length === labels.length && labels.every((l) => meta.task.labels.includes(l));
      if (!sameLabels) return { ...base, ...empty, notComparable: `${meta.id} predicts ${meta.task.labels.join(', ')}, not ${labels.join(', ')}` };
      const frameModel = meta.modalities.every((m) => m.kind === 'depth' || m.kind === 'thermal');
      if (frameModel !== (kind === 'pose')) return { ...base, ...empty, notComparable: `${meta.id} takes ${meta.modalities.map((m) => m.kind).join(' + ')} input, not ${kind === 'pose' ? 'depth + thermal frames' : 'audio'}` };
      if (frameModel) {
        const ev = await evaluateOnFrames(session, openAll().store, heldOutName, labelColumn);
        return { ...base, labels: [...ev.labels], participants: ev.participants, frames: ev.samples, balancedAccuracy: ev.balancedAccuracy, accuracy: ev.accuracy, confusion: ev.confusion, meanLatencyMs: ev.meanLatencyMs, skipped: 0 };
      }
      const { dataset } = datasetFromStore(openAll().store, heldOutName);
      const ev = await evaluatePackage(session, dataset, labelColumn);
      return {
        ...base,
        labels: [...ev.labels],
        participants: ev.participants,
        balancedAccuracy: ev.balancedAccuracy,
        accuracy: ev.accuracy,
        confusion: ev.confusion,
        meanLatencyMs: ev.meanLatencyMs,
        skipped: ev.skipped.length,
      };
    } finally {
      await session.release();
    }
  }

  /** The compress job's files → a model package in the run's folder (not yet visible on the Models page). */
  function writeCandidate(r: RunRecord, result: CompressResult, teacherFile: string, heldOutCount: number): string {
    const saved = JSON.parse(readFileSync(join(result.outputDir, 'result.json'), 'utf8')) as {
      search: SearchPoint[];
      /** Absent in results written before the worker kept them. */
      quantizationChoice?: QuantizationChoice;
      confusion?: { teacher: number[][]; studentFloat: number[][]; studentInt8: number[][] };
    };
    const student = readFloatModel(result.student);
    const graphFile = join(result.outputDir, 'int8-graph.json');
    const graph = parseInt8Graph(readFileSync(graphFile, 'utf8'), graphFile);
    const chosen = saved.search.find((p) => p.chosen) ?? saved.search[0]!;
    const score = (balancedAccuracy: number, confusion: number[][] = []) => ({ balancedAccuracy, confusion });
    const pipeline: Omit<PipelineResult, 'seconds' | 'quantization'> & { quantization?: QuantizationChoice } = {
      teacher: readFloatModel(teacherFile),
      search: { points: saved.search, chosen: { point: chosen, arch: student.arch, weights: student.weights } },
      student,
      graph,
      plan: planMemory(graph),
      test: {
        teacher: score(result.test.teacher, saved.confusion?.teacher),
        studentFloat: score(result.test.studentFloat, saved.confusion?.studentFloat),
        studentInt8: score(result.test.studentInt8, saved.confusion?.studentInt8),
      },
      ...(saved.quantizationChoice ? { quantization: saved.quantizationChoice } : {}),
    };
    const dir = join(runsDir, r.runId, 'candidate');
    const pose = r.modelKind === 'pose';
    const inputs = pose ? 'depth + thermal frames' : 'cough, speech and breathing';
    const method = `retrain wizard: participant-grouped split; measured on ${heldOutCount} held-out participants never used for training or model choice`;
    writePipelinePackage(
      dir,
      {
        id: r.modelId,
        name: `${r.labelColumn} from ${inputs} (retrained ${r.createdAt.slice(0, 10)})`,
        version: '1.0.0',
        codeVersion: ctx.version,
        task: { kind: pose ? 'pose' : 'audio', description: `Retrained on local data set ${r.datasetName}: ${r.labelColumn} (${r.labels.join(', ')}) from ${inputs}.`, labels: [...r.labels] },
        modalities: pose
          ? // The sizes the run was trained at (a later app version may change the default).
            poseModalities(r.data.kind === 'store-frames' ? r.data.features : undefined).map((m) => ({ name: m.name, kind: m.kind, instruction: m.instruction, features: m.features }))
          : SCREENING_AUDIO_MODALITIES.map((m) => ({ name: m.name, kind: 'audio' as const, instruction: m.instruction, durationSeconds: m.durationSeconds, features: m.features })),
        accuracy: [
          { metric: 'balancedAccuracy', value: result.test.studentInt8, variant: 'student int8', method: `${method} (inner test fold)`, dataset: r.datasetName },
          { metric: 'balancedAccuracy', value: result.test.teacher, variant: 'teacher float', method: `${method} (inner test fold)`, dataset: r.datasetName },
        ],
        provenance: { dataset: `store data set ${r.datasetName}, label column ${r.labelColumn}`, seed: r.seed, recipe: `retrain wizard, target ${r.target}`, codeVersion: ctx.version },
      },
      pipeline as Omit<PipelineResult, 'seconds'>,
    );
    r.pareto = saved.search
      .filter((p) => p.valBalancedAccuracy !== undefined)
      .map((p) => ({ label: p.label, bytes: p.cost.weightBytes, accuracy: p.valBalancedAccuracy!, chosen: p.chosen }));
    return dir;
  }

  function finishRun(r: RunRecord, status: 'failed' | 'cancelled', error?: string): void {
    r.status = status;
    r.stage = status;
    r.detail = status === 'cancelled' ? 'cancelled' : 'failed';
    if (error) r.error = error;
    delete r.etaSeconds;
    save(r);
    emit(r, true);
  }

  /** Waits for a run's job, submitting it first, or putting it back in the queue when a resume finds it cut off. */
  async function jobOf(r: RunRecord, which: 'teacherJobId' | 'compressJobId', submit: () => number) {
    const jobs = openAll().runner;
    const existing = r[which] === undefined ? undefined : jobs.get(r[which]!);
    if (existing && (existing.status === 'interrupted' || existing.status === 'failed')) jobs.resume(existing.id);
    else if (!existing) r[which] = submit();
    save(r);
    return jobs.whenFinished(r[which]!);
  }

  async function drive(r: RunRecord): Promise<void> {
    const { runner: jobs, store: db } = openAll();
    const workDir = join(runsDir, r.runId, 'work');
    const teacherFile = join(workDir, 'teacher.json');
    const { data, recipe } = r;
    if (r.compressJobId === undefined) {
      r.status = 'training';
      const teacher = await jobOf(r, 'teacherJobId', () => jobs.submit({ kind: 'train-teacher', data, recipe, output: teacherFile }));
      if (teacher.status !== 'succeeded') return finishRun(r, teacher.status === 'cancelled' ? 'cancelled' : 'failed', teacher.error ?? undefined);
      if (runs.get(r.runId)?.status !== 'training') return;
    }
    r.status = 'compressing';
    const compressed = await jobOf(r, 'compressJobId', () =>
      jobs.submit({ kind: 'compress', data, recipe, budget: r.target, ...(r.maxWeightBytes !== undefined ? { maxWeightBytes: r.maxWeightBytes } : {}), teacher: teacherFile, outputDir: join(workDir, 'compressed') }),
    );
    if (compressed.status !== 'succeeded') return finishRun(r, compressed.status === 'cancelled' ? 'cancelled' : 'failed', compressed.error ?? undefined);
    const heldOutName = r.heldOutName;
    const heldOutCount = r.heldOut.length;

    r.status = 'comparing';
    r.stage = 'compare';
    r.fraction = 0.95;
    r.detail = `measuring both models on ${heldOutCount} held-out participants`;
    emit(r, true);
    const dir = writeCandidate(r, compressed.result as CompressResult, teacherFile, heldOutCount);
    const candidate = await evaluate(dir, heldOutName, r.labelColumn, r.labels, r.modelKind ?? 'audio');
    const baseline = (await scanModels([
      { dir: ctx.paths.userModelsDir, source: 'user' },
      { dir: ctx.paths.bundledModelsDir, source: 'bundled' },
    ])).models.find((m) => m.meta.id === r.baselineModelId);
    const current: Evaluation = baseline
      ? await evaluate(baseline.dir, heldOutName, r.labelColumn, r.labels, r.modelKind ?? 'audio')
      : { ...candidate, modelId: r.baselineModelId, modelName: r.baselineModelId, participants: 0, balancedAccuracy: 0, accuracy: 0, confusion: [], meanLatencyMs: 0, weightBytes: 0, onnxBytes: 0, skipped: 0, notComparable: `no model '${r.baselineModelId}' is installed` };
    r.comparison = { candidate, current };
    addModel(db, { id: r.modelId, version: '1.0.0', packageDir: dir, status: 'candidate', ...(compressed.trainingRunId !== null ? { trainingRunId: compressed.trainingRunId } : {}) });
    r.status = 'ready';
    r.stage = 'ready';
    r.fraction = 1;
    r.detail = 'ready to compare: accept or reject';
    r.etaSeconds = 0;
    save(r);
    emit(r, true);
  }

  /** What a run trains on, split before anything is trained; a field error when it cannot train. */
  interface RunPlan {
    readonly modelKind: 'audio' | 'pose';
    readonly heldOut: string[];
    readonly train: string[];
    readonly labels: string[];
    readonly data: JobDataSource;
    readonly recipe: Recipe;
  }

  function audioPlan(db: Store, datasetName: string, labelColumn: string, trainName: string): RunPlan {
    let dataset: Dataset;
    try {
      dataset = datasetFromStore(db, datasetName).dataset;
    } catch (e) {
      throw new ServiceError(`field 'datasetName': ${(e as Error).message}`, 'not_found');
    }
    if (!dataset.labelColumns.includes(labelColumn)) throw field('labelColumn', `data set ${datasetName} has no label column '${labelColumn}'`);
    const items = usableSubjects(dataset, labelColumn);
    const check = reviewWarnings(items);
    if (!check.trainable) throw field('datasetName', `cannot train on ${datasetName}: ${check.warnings.join('; ')}`);
    let split: SplitPlan;
    try {
      split = planSplit(items);
    } catch (e) {
      if (e instanceof SplitError) throw field('datasetName', e.message);
      throw e;
    }
    const labels = [...new Set(items.map((s) => s.label))].sort();
    return {
      modelKind: 'audio',
      heldOut: split.heldOut,
      train: split.train,
      labels,
      data: { kind: 'store-dataset', name: trainName, labelColumn, labels, modalities: SCREENING_AUDIO_MODALITIES, cacheDir },
      recipe: DEFAULT_AUDIO_RECIPE,
    };
  }

  function framePlan(db: Store, datasetName: string, labelColumn: string, trainName: string): RunPlan {
    const set = storedFrameSet(db, datasetName, labelColumn);
    if (!set) throw field('labelColumn', `the frames of data set ${datasetName} have no label column '${labelColumn}'`);
    const review = frameReview(set, frameLabelColumns(db, datasetName), planFrameSplit);
    if (!review.trainable || !review.split) throw field('datasetName', `cannot train on ${datasetName}: ${review.warnings.join('; ')}`);
    // The pose model's own class order when every label is one of its classes, so the bundled model can be compared.
    const labels = defaultFrameLabels(set.pairs);
    return {
      modelKind: 'pose',
      heldOut: review.split.heldOut,
      train: review.split.train,
      labels,
      data: { kind: 'store-frames', name: trainName, labelColumn, labels, features: POSE_FEATURES },
      recipe: DEFAULT_POSE_RECIPE,
    };
  }

  function launch(r: RunRecord): void {
    drive(r).catch((e: unknown) => finishRun(r, 'failed', e instanceof Error ? e.message : String(e)));
  }

  return {
    'retrain.import': async ({ source, name }) => {
      if (isFrameSet(source)) return importFrameFolder(openAll().store, source, name ?? importedDatasetName('frames'));
      let dataset: Dataset;
      try {
        dataset = openDataset(source);
      } catch (e) {
        if (e instanceof DatasetError) throw field('source', e.message);
        throw e;
      }
      const refs = recordingRefs(dataset).filter((ref) => ref.subject && ref.modality);
      const labels = Object.fromEntries(dataset.subjects.map((s) => [s.id, s.labels]));
      const db = openAll().store;
      const report = await importRecordings(db, refs, labels, { labelledBy: `import:${source}` });
      return storeImportResponse(
        db,
        name ?? importedDatasetName('import'),
        dataset.labelColumns[0],
        { layout: dataset.layout, recordings: refs.length, labelColumns: dataset.labelColumns, problems: dataset.problems.map((p) => ({ path: p.path ?? dataset.root, message: p.message })) },
        report,
      );
    },

    ...createRetrainSessionHandlers(ctx, () => openAll().store),

    'retrain.review': async ({ datasetName, labelColumn }) => {
      const db = openAll().store;
      const frameColumns = frameLabelColumns(db, datasetName);
      if (frameColumns.length) {
        if (!frameColumns.includes(labelColumn)) throw field('labelColumn', `the frames of data set ${datasetName} have no label column '${labelColumn}' (columns: ${frameColumns.join(', ')})`);
        return { datasetName, ...frameReview(storedFrameSet(db, datasetName, labelColumn)!, frameColumns, planFrameSplit) };
      }
      let dataset: Dataset;
      try {
        dataset = datasetFromStore(db, datasetName).dataset;
      } catch (e) {
        throw new ServiceError(`field 'datasetName': ${(e as Error).message}`, 'not_found');
      }
      if (!dataset.labelColumns.includes(labelColumn)) throw field('labelColumn', `data set ${datasetName} has no label column '${labelColumn}' (columns: ${dataset.labelColumns.join(', ')})`);
      const items = usableSubjects(dataset, labelColumn);
      const { warnings, trainable: enough } = reviewWarnings(items);
      let split: SplitPlan | undefined;
      let trainable = enough;
      if (enough) {
        try {
          split = planSplit(items);
        } catch (e) {
          if (!(e instanceof SplitError)) throw e;
          warnings.push(e.message);
          trainable = false;
        }
      }
      const quality = (
        db.db
          .prepare(
            `SELECT r.subject, r.modality, r.quality FROM recordings r JOIN dataset_subjects ds ON ds.subject = r.subject JOIN datasets d ON d.id = ds.dataset_id
             WHERE d.name = ? ORDER BY r.subject, r.modality`,
          )
          .all(datasetName) as { subject: string; modality: string; quality: string | null }[]
      )
        .map((row) => ({ subject: row.subject, modality: row.modality, issues: row.quality ? ((JSON.parse(row.quality) as { issues?: string[] }).issues ?? []) : [] }))
        .filter((q) => q.issues.length > 0);
      const counts = labelCounts(dataset, labelColumn);
      return {
        datasetName,
        labelColumn,
        labelColumns: [...dataset.labelColumns],
        participants: dataset.subjects.length,
        unit: 'participants' as const,
        labelCounts: Object.fromEntries([...counts].filter(([k]) => k !== '')),
        modalities: dataset.modalities.map((m) => ({ name: m, recordings: dataset.subjects.filter((s) => s.recordings[m]).length })),
        quality,
        ...(split ? { split } : {}),
        warnings,
        trainable,
      };
    },

    'retrain.targets': async () => {
      const list = targets().flatMap((t) => t.levels.map((l) => ({ id: `${t.id}:${l.id}`, target: t.id, targetName: t.name, level: l.id, levelName: l.name, capacityBytes: l.capacityBytes })));
      return { targets: list, defaultTarget: list.find((t) => t.id === 'gap8:l2')?.id ?? list[0]?.id ?? '' };
    },

    'retrain.start': async ({ datasetName, labelColumn, target, maxWeightBytes, baselineModelId, options }) => {
      try {
        parseTargetLevel(target, targets());
      } catch (e) {
        throw field('target', (e as Error).message);
      }
      const db = openAll().store;
      const runId = `run-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
      const trainName = `${runId}-train`;
      const heldOutName = `${runId}-heldout`;
      const plan = frameLabelColumns(db, datasetName).length ? framePlan(db, datasetName, labelColumn, trainName) : audioPlan(db, datasetName, labelColumn, trainName);
      saveDataset(db, trainName, plan.train, labelColumn);
      saveDataset(db, heldOutName, plan.heldOut, labelColumn);
      const { labels, modelKind } = plan;
      const base = plan.recipe;
      const seed = options?.seed ?? base.seed;
      const recipe = {
        ...(options?.epochs ? recipeWithEpochs(base, options.epochs) : base),
        seed,
        ...(options?.teacher ? { teacher: options.teacher } : {}),
        ...(options?.students ? { students: options.students } : {}),
        ...(options?.qatEpochs !== undefined ? { qatEpochs: options.qatEpochs } : {}),
      };
      const modelId = `${labelColumn}-retrained-${runId.slice(4)}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
      const r: RunRecord = {
        runId,
        status: 'queued',
        stage: 'queued',
        fraction: 0,
        detail: 'waiting for the training worker',
        datasetName,
        labelColumn,
        labels,
        target,
        ...(maxWeightBytes !== undefined ? { maxWeightBytes } : {}),
        createdAt: new Date().toISOString(),
        curves: {},
        pareto: [],
        heldOut: plan.heldOut,
        modelKind,
        baselineModelId: baselineModelId ?? DEFAULT_BASELINE[modelKind],
        modelId,
        seed,
        data: plan.data,
        recipe,
        heldOutName,
      };
      runs.set(runId, r);
      save(r);
      launch(r);
      return { runId };
    },

    'retrain.status': async ({ runId }) => runStateOf(getRun(runId)),

    'retrain.resume': async ({ runId }) => {
      const r = getRun(runId);
      if (r.status !== 'interrupted') throw field('runId', `run ${runId} is ${r.status}; only an interrupted run can be resumed`);
      r.detail = 'resuming from the last checkpoint';
      delete r.error;
      launch(r);
      return { resumed: true };
    },

    'retrain.cancel': async ({ runId }) => {
      const r = getRun(runId);
      const jobs = openAll().runner;
      const jobId = r.status === 'training' ? r.teacherJobId : r.status === 'compressing' ? r.compressJobId : undefined;
      if (jobId === undefined) return { cancelled: false };
      return { cancelled: jobs.cancel(jobId) };
    },

    'retrain.decide': async ({ runId, decision }): Promise<ApiResponse<'retrain.decide'>> => {
      const r = getRun(runId);
      if (r.status !== 'ready') throw field('runId', `run ${runId} is ${r.status}; only a finished, compared run can be accepted or rejected`);
      const db = openAll().store;
      if (decision === 'reject') {
        // Kept in the store and the run folder for the record; never copied where Screen or Devices look.
        setModelStatus(db, r.modelId, '1.0.0', 'rejected');
        r.status = 'rejected';
        r.detail = 'rejected: kept in history, never deployed';
        save(r);
        emit(r, true);
        return { status: 'rejected' };
      }
      const candidate = join(runsDir, r.runId, 'candidate');
      const dir = join(ctx.paths.userModelsDir, r.modelId);
      if (existsSync(dir)) throw field('runId', `a user model '${r.modelId}' already exists in ${ctx.paths.userModelsDir}`);
      // Copy inside the data folder, then rename into place: the Models page never sees half a package.
      const temp = join(runsDir, r.runId, `.install-${process.pid}.tmp`);
      rmSync(temp, { recursive: true, force: true });
      cpSync(candidate, temp, { recursive: true });
      mkdirSync(ctx.paths.userModelsDir, { recursive: true });
      renameSync(temp, dir);
      setModelStatus(db, r.modelId, '1.0.0', 'current');
      r.status = 'accepted';
      r.acceptedModelId = r.modelId;
      r.detail = `accepted: installed as ${r.modelId}`;
      save(r);
      emit(r, true);
      return { status: 'accepted', modelId: r.modelId, dir };
    },

    'retrain.history': async () => {
      const db = openAll().store;
      const list = [...runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return {
        runs: list.map((r) => ({
          runId: r.runId,
          status: r.status,
          datasetName: r.datasetName,
          labelColumn: r.labelColumn,
          target: r.target,
          createdAt: r.createdAt,
          ...(r.acceptedModelId ? { acceptedModelId: r.acceptedModelId } : {}),
        })),
        models: listModels(db).map((m) => ({ id: m.id, version: m.version, status: m.status, packageDir: m.packageDir, createdAt: m.createdAt })),
      };
    },
  };
}
