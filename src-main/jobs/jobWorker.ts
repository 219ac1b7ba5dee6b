/** One job, run inside a worker thread (see jobRunner.ts): never on the caller's event loop. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { compressTeacher, scoreFloat, type PipelineData, type PipelineProgress } from '../compress/pipeline';
import { serializeInt8Graph } from '../graph/int8GraphJson';
import { buildArchitecture } from '../model/architecture';
import { tinyM2Net } from '../model/tinyM2Net';
import { readFloatModel, writeFloatModel } from '../model/weightsFile';
import { parseTargetLevel } from '../planner/memoryFit';
import { writeFileAtomic } from '../storage/atomicFile';
import { checkpointedFit } from './checkpointedFit';
import { loadJobData } from './jobData';
import type { JobWorkerData, JobWorkerMessage } from './jobProtocol';
import type { JobResult, JobSpec } from './jobSpec';

const job = workerData as JobWorkerData;
const cancelFlag = new Int32Array(job.cancelFlag);
const post = (m: JobWorkerMessage) => parentPort!.postMessage(m);
const shouldStop = () => Atomics.load(cancelFlag, 0) === 1;
const progress = (p: PipelineProgress | { stage: string; fraction: number; detail: string }) => post({ kind: 'progress', progress: p });

/** Loading and featurizing is the first tenth of every job. */
async function data(spec: JobSpec): Promise<PipelineData> {
  progress({ stage: 'data', fraction: 0, detail: 'loading samples' });
  const loaded = await loadJobData(spec.data, job.store, (done, total) => progress({ stage: 'data', fraction: (0.1 * done) / total, detail: `features ${done}/${total}` }));
  post({ kind: 'data', hashes: loaded.hashes, seed: 'recipe' in spec ? spec.recipe.seed : 0 });
  return loaded.data;
}

async function trainTeacherJob(spec: Extract<JobSpec, { kind: 'train-teacher' }>): Promise<JobResult | 'cancelled'> {
  const d = await data(spec);
  const { recipe } = spec;
  const arch = buildArchitecture(tinyM2Net({ name: 'teacher', modalities: d.modalities, classes: d.classes, ...recipe.teacher }));
  const epochs = recipe.fit.epochs;
  mkdirSync(job.checkpointDir, { recursive: true });
  const file = job.checkpoint?.file ?? join(job.checkpointDir, `job-${job.jobId}-teacher.json`);
  const from = job.checkpoint?.epochsDone ?? 0;
  progress({ stage: 'teacher', fraction: 0.1 + (0.9 * from) / epochs, detail: from ? `resuming at teacher epoch ${from + 1}/${epochs}` : 'training the teacher' });
  const r = await checkpointedFit(arch, d.train, d.val, {
    ...recipe.fit,
    seed: recipe.seed,
    classWeights: 'balanced',
    ...(d.augment ? { augment: d.augment } : {}),
    checkpointFile: file,
    resume: job.checkpoint !== undefined,
    shouldStop,
    onEpoch: (e) => progress({ stage: 'teacher', fraction: 0.1 + (0.9 * (e.epoch + 1)) / epochs, detail: `teacher epoch ${e.epoch + 1}/${epochs}`, epoch: { ...e, model: 'teacher' } }),
    onCheckpoint: (c) => post({ kind: 'checkpoint', checkpoint: { file, epochsDone: c.epochsDone, epochs, bestEpoch: c.bestEpoch } }),
  });
  if (r.cancelled) return 'cancelled';
  writeFloatModel(spec.output, arch, r.weights);
  const best = r.history.find((h) => h.epoch === r.bestEpoch);
  return {
    kind: 'train-teacher',
    output: spec.output,
    epochs: r.history.length,
    epochsRun: r.epochsRun,
    resumedFromEpoch: r.resumedFromEpoch,
    bestEpoch: r.bestEpoch,
    bestValLoss: r.bestValLoss,
    bestValBalancedAccuracy: best?.valBalancedAccuracy ?? 0,
    stoppedEarly: r.stoppedEarly,
  };
}

async function compressJob(spec: Extract<JobSpec, { kind: 'compress' }>): Promise<JobResult> {
  const d = await data(spec);
  const teacher = readFloatModel(spec.teacher);
  const budget = { level: parseTargetLevel(spec.budget), ...(spec.maxWeightBytes !== undefined ? { maxWeightBytes: spec.maxWeightBytes } : {}) };
  const r = await compressTeacher(d, spec.recipe, budget, teacher, (p) => progress({ ...p, fraction: 0.1 + 0.9 * p.fraction }), 0);
  mkdirSync(spec.outputDir, { recursive: true });
  const student = join(spec.outputDir, 'student.json');
  writeFloatModel(student, r.student.arch, r.student.weights);
  writeFileAtomic(join(spec.outputDir, 'int8-graph.json'), serializeInt8Graph(r.graph));
  const result: JobResult = {
    kind: 'compress',
    outputDir: spec.outputDir,
    student,
    test: { teacher: r.test.teacher.balancedAccuracy, studentFloat: r.test.studentFloat.balancedAccuracy, studentInt8: r.test.studentInt8.balancedAccuracy },
    int8WeightBytes: r.plan.weightBytes,
    peakActivationBytes: r.plan.peakActivationBytes,
    quantization: r.quantization.method,
  };
  // The package needs more than the queue does: the search front, how int8 was chosen, and the held-out confusions.
  const confusion = { teacher: r.test.teacher.confusion, studentFloat: r.test.studentFloat.confusion, studentInt8: r.test.studentInt8.confusion };
  writeFileAtomic(join(spec.outputDir, 'result.json'), JSON.stringify({ ...result, search: r.search.points, quantizationChoice: r.quantization, confusion }, null, 2));
  return result;
}

async function evaluateJob(spec: Extract<JobSpec, { kind: 'evaluate' }>): Promise<JobResult> {
  const d = await data(spec);
  const model = readFloatModel(spec.model);
  progress({ stage: 'evaluate', fraction: 0.5, detail: `scoring ${d.test.count} held-out samples` });
  const s = scoreFloat(model.arch, model.weights, d.test);
  return { kind: 'evaluate', balancedAccuracy: s.balancedAccuracy, confusion: s.confusion, samples: d.test.count };
}

async function run(): Promise<void> {
  const spec = job.spec;
  const result = spec.kind === 'train-teacher' ? await trainTeacherJob(spec) : spec.kind === 'compress' ? await compressJob(spec) : await evaluateJob(spec);
  if (result === 'cancelled' || shouldStop()) post({ kind: 'cancelled' });
  else post({ kind: 'done', result });
}

run().catch((e: unknown) => post({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
