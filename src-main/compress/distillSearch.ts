/**
 * Memory-aware knowledge distillation (TinyM²Net-V3): students are points of the teacher's own family
 * (width, depth, kernel, dense units); only those whose int8 weights and peak activations fit the chosen
 * memory level are trained, each by distillation from the teacher; the search reports every candidate
 * (accuracy vs bytes) and its Pareto front, and picks the most accurate one that fits.
 */
import { buildArchitecture, type BuiltArchitecture } from '../model/architecture';
import type { ModelWeights } from '../model/weights';
import { tinyM2Net, type FamilyOptions, type ModalityInput } from '../model/tinyM2Net';
import { trainableModel } from '../train/engine';
import { fit, predictLogits, type EpochReport, type FitOptions } from '../train/fit';
import { argmaxRows, balancedAccuracy, confusionMatrix, crossEntropy } from '../train/metrics';
import type { SampleSet } from '../train/sampleSet';
import { candidateCost, type CandidateCost, type StudentBudget } from './studentBudget';

export type StudentShape = Pick<FamilyOptions, 'widthMultiplier' | 'depth' | 'kernelSize' | 'denseUnits' | 'pooling'>;

export interface SearchPoint {
  readonly label: string;
  readonly shape: StudentShape;
  readonly params: number;
  readonly macs: number;
  readonly cost: Omit<CandidateCost, 'plan'>;
  /** Validation balanced accuracy of the distilled float student; undefined when it was not trained (does not fit). */
  readonly valBalancedAccuracy?: number;
  /** Validation distillation loss of the kept epoch (what breaks ties in validation accuracy). */
  readonly valLoss?: number;
  readonly onFront: boolean;
  readonly chosen: boolean;
}

export interface SearchResult {
  readonly points: readonly SearchPoint[];
  readonly chosen: { readonly point: SearchPoint; readonly arch: BuiltArchitecture; readonly weights: ModelWeights };
}

export interface SearchOptions {
  readonly modalities: readonly ModalityInput[];
  readonly classes: number;
  readonly shapes: readonly StudentShape[];
  readonly budget: StudentBudget;
  readonly teacher: { readonly arch: BuiltArchitecture; readonly weights: ModelWeights };
  readonly alpha: number;
  readonly temperature: number;
  readonly fit: Omit<FitOptions, 'distillation' | 'onEpoch'>;
  /**
   * Train only this many of the candidates that fit, the largest (int8 weight bytes) first; the rest are
   * reported as not trained. Every candidate costs a full distillation, and under a fixed budget the
   * largest that fit are the likeliest winners, while the small ones keep tight budgets servable. Default: all.
   */
  readonly maxTrained?: number;
  readonly onCandidate?: (index: number, total: number, label: string, status: 'skipped' | 'training' | 'done', detail?: string) => void;
  readonly onEpoch?: (label: string, report: EpochReport) => void;
}

export function shapeLabel(s: StudentShape): string {
  return `w${s.widthMultiplier}-d${s.depth}-k${s.kernelSize}-fc${s.denseUnits}${s.pooling === 'time' ? '-tp' : ''}`;
}

/** The shape a `shapeLabel` names (e.g. a package's chosen Pareto point), or undefined for any other text. */
export function parseShapeLabel(label: string): StudentShape | undefined {
  const m = /^w([\d.]+)-d(\d+)-k(\d+)-fc(\d+)(-tp)?$/.exec(label);
  if (!m) return undefined;
  return {
    widthMultiplier: Number(m[1]),
    depth: Number(m[2]),
    kernelSize: Number(m[3]),
    denseUnits: Number(m[4]),
    ...(m[5] ? { pooling: 'time' as const } : {}),
  };
}

/** Non-dominated points: no other point is at most as large and strictly more accurate (or as accurate and smaller). */
export function paretoFront<T extends { bytes: number; accuracy: number }>(points: readonly T[]): T[] {
  return points.filter((p) => !points.some((q) => q !== p && q.bytes <= p.bytes && q.accuracy >= p.accuracy && (q.bytes < p.bytes || q.accuracy > p.accuracy)));
}

export async function searchStudents(train: SampleSet, val: SampleSet, o: SearchOptions): Promise<SearchResult> {
  const limit = o.maxTrained ?? Infinity;
  if (!(limit >= 1)) throw new Error(`student search: maxTrained must be at least 1, got ${o.maxTrained}`);
  const teacher = trainableModel(o.teacher.arch, o.teacher.weights, { learningRate: 0 });
  const trained: { point: Omit<SearchPoint, 'onFront' | 'chosen'>; arch: BuiltArchitecture; weights: ModelWeights }[] = [];
  const skipped: Omit<SearchPoint, 'onFront' | 'chosen'>[] = [];
  const candidates = o.shapes.map((shape) => {
    const label = shapeLabel(shape);
    const arch = buildArchitecture(tinyM2Net({ name: `student-${label}`, modalities: o.modalities, classes: o.classes, ...shape }));
    const { plan: _plan, ...cost } = candidateCost(arch, o.budget);
    return { shape, label, arch, cost };
  });
  const largest = new Set(
    candidates
      .filter((c) => c.cost.fits)
      .sort((a, b) => b.cost.weightBytes - a.cost.weightBytes)
      .slice(0, limit)
      .map((c) => c.label),
  );
  try {
    for (let i = 0; i < candidates.length; i++) {
      const { shape, label, arch } = candidates[i]!;
      const cost = candidates[i]!.cost.fits && !largest.has(label) ? { ...candidates[i]!.cost, why: `not among the ${limit} largest candidates that fit` } : candidates[i]!.cost;
      const base = { label, shape, params: arch.params, macs: arch.macs, cost };
      if (!cost.fits || cost.why) {
        o.onCandidate?.(i, o.shapes.length, label, 'skipped', cost.why);
        skipped.push(base);
        continue;
      }
      o.onCandidate?.(i, o.shapes.length, label, 'training');
      const result = await fit(arch, train, val, {
        ...o.fit,
        distillation: { teacherLogits: (x) => teacher.logits(x), alpha: o.alpha, temperature: o.temperature },
        onEpoch: (r) => o.onEpoch?.(label, r),
      });
      const student = trainableModel(arch, result.weights, { learningRate: 0 });
      const logits = predictLogits(student, val);
      student.dispose();
      const valBalancedAccuracy = balancedAccuracy(confusionMatrix(val.labels, argmaxRows(logits, o.classes), o.classes));
      // The kept epoch's validation loss is the distillation objective (labels and the teacher's softened
      // outputs, fit.ts): how faithfully the student copies the teacher on unseen samples.
      const valLoss = result.history[result.bestEpoch]?.valLoss ?? crossEntropy(logits, val.labels, o.classes);
      trained.push({ point: { ...base, valBalancedAccuracy, valLoss }, arch, weights: result.weights });
      o.onCandidate?.(i, o.shapes.length, label, 'done', `val balanced accuracy ${(valBalancedAccuracy * 100).toFixed(1)} %`);
    }
  } finally {
    teacher.dispose();
  }
  if (!trained.length) {
    const reasons = skipped.map((s) => `${s.label}: ${s.cost.why}`).join('; ');
    throw new Error(`no student fits ${o.budget.level.target.id}:${o.budget.level.level.id}: ${reasons}`);
  }
  // Most accurate on validation; ties (frequent on small validation sets: three of six candidates scored 100 %
  // on the audio model's fifteen validation participants) go to the lower distillation loss, then fewer bytes.
  // Ties on label cross-entropy had picked an 824 B student whose 5-fold CV int8 accuracy was far below the
  // 3 KB one's; the distillation loss weighs every sample by the teacher's full output, not by the labels alone.
  const best = [...trained].sort(
    (a, b) => b.point.valBalancedAccuracy! - a.point.valBalancedAccuracy! || a.point.valLoss! - b.point.valLoss! || a.point.cost.weightBytes - b.point.cost.weightBytes,
  )[0]!;
  const front = new Set(paretoFront(trained.map((t) => ({ label: t.point.label, bytes: t.point.cost.weightBytes, accuracy: t.point.valBalancedAccuracy! }))).map((p) => p.label));
  const points: SearchPoint[] = [
    ...trained.map((t) => ({ ...t.point, onFront: front.has(t.point.label), chosen: t === best })),
    ...skipped.map((s) => ({ ...s, onFront: false, chosen: false })),
  ];
  return { points, chosen: { point: points.find((p) => p.chosen)!, arch: best.arch, weights: best.weights } };
}
