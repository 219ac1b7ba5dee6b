/**
 * The whole method on one data split: train the teacher, search distilled students that fit the memory
 * budget, calibrate and quantize the chosen one to int8, and measure every variant on the same held-out
 * samples. Pure of I/O: the caller brings samples and takes numbers and models back (to a package, a
 * benchmark row, or the retrain wizard's comparison).
 */
import { buildArchitecture, type BuiltArchitecture } from '../model/architecture';
import type { ModelWeights } from '../model/weights';
import { tinyM2Net, type ModalityInput } from '../model/tinyM2Net';
import type { Int8Graph } from '../graph/int8Graph';
import { planMemory, type MemoryPlan } from '../planner/planMemory';
import type { SampleAugmenter } from '../train/augment';
import { trainableModel } from '../train/engine';
import { fit, predictLogits, type EpochReport, type FitOptions } from '../train/fit';
import { argmaxRows, balancedAccuracy, confusionMatrix } from '../train/metrics';
import type { SampleSet } from '../train/sampleSet';
import { searchStudents, type SearchResult, type StudentShape } from './distillSearch';
import { evaluateInt8 } from './evaluateInt8';
import { foldBatchNorm } from './foldBatchNorm';
import { quantizeModel } from './quantize';
import { calibrationRanges, quantAwareFineTune } from './quantAwareTraining';
import type { StudentBudget } from './studentBudget';

export interface Recipe {
  readonly seed: number;
  readonly teacher: StudentShape;
  readonly students: readonly StudentShape[];
  readonly fit: RecipeFit;
  /** Overrides of `fit` for the teacher only (e.g. more epochs than the students get); default none. */
  readonly teacherFit?: Partial<RecipeFit>;
  /** Overrides of `fit` for the students (the distillation search, and a student trained alone); default none. */
  readonly studentFit?: Partial<RecipeFit>;
  /**
   * Retrain the teacher from the next seeds, up to this many times, while its validation balanced accuracy
   * stays at chance or below (a run that never learned); the best on validation is kept. Default 0.
   */
  readonly teacherRestarts?: number;
  /** Distil only this many of the students that fit the budget, the largest first (default: all); see distillSearch.ts. */
  readonly maxTrainedStudents?: number;
  readonly alpha: number;
  readonly temperature: number;
  /** Share of input values allowed to clip when calibrating the input quantization. */
  readonly inputClip: number;
  /** Epochs of quantization-aware fine-tuning after calibration (0 = post-training quantization only). */
  readonly qatEpochs?: number;
}

export type RecipeFit = Pick<FitOptions, 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'weightDecay' | 'minEpochs' | 'valLossSmoothing' | 'keep' | 'learningRateSchedule' | 'warmupEpochs'>;

export interface PipelineData {
  readonly train: SampleSet;
  readonly val: SampleSet;
  /** Held-out samples every variant is measured on; never used for training or model choice. */
  readonly test: SampleSet;
  readonly modalities: readonly ModalityInput[];
  readonly classes: number;
  readonly augment?: SampleAugmenter;
}

export type PipelineStage = 'teacher' | 'search' | 'quantize' | 'evaluate';

export interface PipelineProgress {
  readonly stage: PipelineStage;
  readonly fraction: number;
  readonly detail: string;
  readonly epoch?: EpochReport & { readonly model: string };
}

export interface VariantScore {
  readonly balancedAccuracy: number;
  readonly confusion: number[][];
}

export interface QuantizationChoice {
  readonly method: 'post-training' | 'quantization-aware';
  readonly postTrainingValBalancedAccuracy: number;
  readonly quantAwareValBalancedAccuracy?: number;
}

export interface PipelineResult {
  readonly teacher: { readonly arch: BuiltArchitecture; readonly weights: ModelWeights };
  readonly search: SearchResult;
  readonly student: { readonly arch: BuiltArchitecture; readonly weights: ModelWeights };
  readonly graph: Int8Graph;
  readonly quantization: QuantizationChoice;
  readonly plan: MemoryPlan;
  readonly test: { readonly teacher: VariantScore; readonly studentFloat: VariantScore; readonly studentInt8: VariantScore };
  readonly seconds: number;
}

/** A float model's predicted class for every sample of `set`. */
export function floatPredictions(arch: BuiltArchitecture, weights: ModelWeights, set: SampleSet): Int32Array {
  const model = trainableModel(arch, weights, { learningRate: 0 });
  try {
    return argmaxRows(predictLogits(model, set), arch.spec.classes);
  } finally {
    model.dispose();
  }
}

export function scoreFloat(arch: BuiltArchitecture, weights: ModelWeights, set: SampleSet): VariantScore {
  const confusion = confusionMatrix(set.labels, floatPredictions(arch, weights, set), arch.spec.classes);
  return { balancedAccuracy: balancedAccuracy(confusion), confusion };
}

function fitBaseOf(data: PipelineData, recipe: Recipe, role: 'teacher' | 'student' = 'student'): Omit<FitOptions, 'onEpoch'> {
  const overrides = role === 'teacher' ? recipe.teacherFit : recipe.studentFit;
  return { ...recipe.fit, ...overrides, seed: recipe.seed, classWeights: 'balanced', ...(data.augment ? { augment: data.augment } : {}) };
}

/** The options a student is trained with under `recipe` (alone or distilled), as the search trains them. */
export function studentFitOptions(data: PipelineData, recipe: Recipe): Omit<FitOptions, 'onEpoch'> {
  return fitBaseOf(data, recipe, 'student');
}

export interface TrainedModel {
  readonly arch: BuiltArchitecture;
  readonly weights: ModelWeights;
}

/** Stage 1: the large float teacher (what `tinym2 train` produces). */
export async function trainTeacher(data: PipelineData, recipe: Recipe, onProgress?: (p: PipelineProgress) => void, scale = 1): Promise<TrainedModel> {
  const arch = buildArchitecture(tinyM2Net({ name: 'teacher', modalities: data.modalities, classes: data.classes, ...recipe.teacher }));
  const base = fitBaseOf(data, recipe, 'teacher');
  const epochs = base.epochs;
  const runs = 1 + (recipe.teacherRestarts ?? 0);
  const chance = 1 / data.classes;
  let best: { weights: ModelWeights; valBalancedAccuracy: number } | undefined;
  for (let run = 0; run < runs; run++) {
    const r = await fit(arch, data.train, data.val, {
      ...base,
      seed: recipe.seed + run,
      onEpoch: (e) =>
        onProgress?.({
          stage: 'teacher',
          fraction: (scale * (e.epoch + 1)) / epochs,
          detail: `teacher${run ? ` (restart ${run})` : ''} epoch ${e.epoch + 1}/${epochs}`,
          epoch: { ...e, model: 'teacher' },
        }),
    });
    const valBalancedAccuracy = scoreFloat(arch, r.weights, data.val).balancedAccuracy;
    if (!best || valBalancedAccuracy > best.valBalancedAccuracy) best = { weights: r.weights, valBalancedAccuracy };
    if (best.valBalancedAccuracy > chance + 1e-9) break;
  }
  return { arch, weights: best!.weights };
}

/**
 * Stage 3, int8: calibrate on training samples (never test) and quantize; with `recipe.qatEpochs`, also
 * fine-tune against the int8 grid and keep that only when its int8 model is at least as good on validation.
 * The benchmark's folds call this too, so they measure the int8 model the pipeline would ship.
 */
export async function quantizeStudent(
  data: PipelineData,
  recipe: Recipe,
  trained: TrainedModel,
  onProgress?: (detail: string, epoch?: EpochReport) => void,
): Promise<{ readonly graph: Int8Graph; readonly student: TrainedModel; readonly quantization: QuantizationChoice }> {
  onProgress?.('calibrating and quantizing to int8');
  const ranges = calibrationRanges(trained.arch, trained.weights, data.train, recipe.inputClip);
  const graph = quantizeModel(trained.arch, foldBatchNorm(trained.arch, trained.weights), ranges);
  const valBacc = (g: Int8Graph) => evaluateInt8(g, data.val, data.classes).balancedAccuracy;
  const postTrainingValBalancedAccuracy = valBacc(graph);
  if ((recipe.qatEpochs ?? 0) <= 0) return { graph, student: trained, quantization: { method: 'post-training', postTrainingValBalancedAccuracy } };
  onProgress?.('quantization-aware fine-tuning');
  const tuned = await quantAwareFineTune(trained.arch, trained.weights, ranges, data.train, data.val, {
    ...fitBaseOf(data, recipe),
    epochs: recipe.qatEpochs!,
    learningRate: recipe.fit.learningRate / 10,
    patience: recipe.qatEpochs!,
    // A few epochs starting from trained weights: the recipe's minimum (meant for training from scratch) would keep only the last.
    minEpochs: 0,
    onEpoch: (e) => onProgress?.(`QAT epoch ${e.epoch + 1}`, e),
  });
  const qatGraph = quantizeModel(trained.arch, foldBatchNorm(trained.arch, tuned.weights), ranges);
  const quantAwareValBalancedAccuracy = valBacc(qatGraph);
  return quantAwareValBalancedAccuracy >= postTrainingValBalancedAccuracy
    ? { graph: qatGraph, student: { arch: trained.arch, weights: tuned.weights }, quantization: { method: 'quantization-aware', postTrainingValBalancedAccuracy, quantAwareValBalancedAccuracy } }
    : { graph, student: trained, quantization: { method: 'post-training', postTrainingValBalancedAccuracy, quantAwareValBalancedAccuracy } };
}

/** Stage 2: distil students within the budget, quantize the chosen one, measure everything on `data.test`. */
export async function compressTeacher(
  data: PipelineData,
  recipe: Recipe,
  budget: StudentBudget,
  teacher: TrainedModel,
  onProgress?: (p: PipelineProgress) => void,
  start = 0,
): Promise<Omit<PipelineResult, 'seconds'>> {
  const span = 1 - start;
  const search = await searchStudents(data.train, data.val, {
    modalities: data.modalities,
    classes: data.classes,
    shapes: recipe.students,
    budget,
    teacher,
    alpha: recipe.alpha,
    temperature: recipe.temperature,
    fit: fitBaseOf(data, recipe),
    ...(recipe.maxTrainedStudents !== undefined ? { maxTrained: recipe.maxTrainedStudents } : {}),
    onCandidate: (i, total, label, status, detail) =>
      onProgress?.({ stage: 'search', fraction: start + (span * 0.85 * (i + (status === 'training' ? 0 : 1))) / total, detail: `student ${label}: ${status}${detail ? ` (${detail})` : ''}` }),
    onEpoch: (label, e) => onProgress?.({ stage: 'search', fraction: start, detail: `student ${label} epoch ${e.epoch + 1}`, epoch: { ...e, model: label } }),
  });
  const quantized = await quantizeStudent(data, recipe, { arch: search.chosen.arch, weights: search.chosen.weights }, (detail, epoch) =>
    onProgress?.({ stage: 'quantize', fraction: start + span * (epoch ? 0.9 : 0.88), detail, ...(epoch ? { epoch: { ...epoch, model: 'qat' } } : {}) }),
  );
  const { graph, student, quantization } = quantized;
  const plan = planMemory(graph);

  onProgress?.({ stage: 'evaluate', fraction: start + span * 0.95, detail: 'measuring every variant on the held-out samples' });
  const int8 = evaluateInt8(graph, data.test, data.classes);
  const result = {
    teacher,
    search,
    student,
    graph,
    quantization,
    plan,
    test: {
      teacher: scoreFloat(teacher.arch, teacher.weights, data.test),
      studentFloat: scoreFloat(student.arch, student.weights, data.test),
      studentInt8: { balancedAccuracy: int8.balancedAccuracy, confusion: int8.confusion },
    },
  };
  onProgress?.({ stage: 'evaluate', fraction: 1, detail: 'done' });
  return result;
}

export async function runPipeline(data: PipelineData, recipe: Recipe, budget: StudentBudget, onProgress?: (p: PipelineProgress) => void): Promise<PipelineResult> {
  const t0 = performance.now();
  const teacher = await trainTeacher(data, recipe, onProgress, 0.3);
  const rest = await compressTeacher(data, recipe, budget, teacher, onProgress, 0.3);
  return { ...rest, seconds: (performance.now() - t0) / 1000 };
}
