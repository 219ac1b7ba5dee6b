/**
 * Cross-validation's out-of-fold predictions: every participant is predicted once, by the fold that held
 * them out. Pooled over the folds they give one balanced accuracy over all participants (a fold of fifteen
 * moves 3–10 points per participant, so fold means swing far more) and, because every variant predicts the
 * same participants, a paired bootstrap of the difference between two variants: whether a gap is larger
 * than what resampling the participants would produce.
 */
import { balancedAccuracy, confusionMatrix } from './metrics';
import { seededRandom } from './random';

export const CV_VARIANTS = ['teacher', 'studentAlone', 'studentDistilled', 'studentInt8'] as const;
export type CvVariant = (typeof CV_VARIANTS)[number];

/** One held-out participant: the true class and each variant's predicted class (indices into the labels). */
export interface OutOfFoldPrediction {
  readonly participant: string;
  readonly fold: number;
  readonly label: number;
  readonly predicted: Readonly<Record<CvVariant, number>>;
}

export function pooledBalancedAccuracy(predictions: readonly OutOfFoldPrediction[], variant: CvVariant, classes: number): number {
  return balancedAccuracy(
    confusionMatrix(
      predictions.map((p) => p.label),
      predictions.map((p) => p.predicted[variant]),
      classes,
    ),
  );
}

export interface PairedDifference {
  /** Pooled balanced accuracy of `a` minus that of `b`. */
  readonly difference: number;
  /** Percentile interval of the difference over bootstrap resamples of the participants. */
  readonly low: number;
  readonly high: number;
  readonly level: number;
  readonly resamples: number;
}

/**
 * Resamples participants with replacement within each true class (so every resample has the same class
 * counts and balanced accuracy stays defined), scoring `a` and `b` on the same resample each time. Seeded:
 * the same predictions give the same interval.
 */
export function pairedBootstrap(
  predictions: readonly OutOfFoldPrediction[],
  a: CvVariant,
  b: CvVariant,
  classes: number,
  options: { readonly resamples?: number; readonly level?: number; readonly seed?: number } = {},
): PairedDifference {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (predictions.length === 0) throw new Error('pairedBootstrap: no out-of-fold predictions');
  const byClass = Array.from({ length: classes }, (_, c) => predictions.filter((p) => p.label === c));
  const random = seededRandom(options.seed ?? 1);
  const differences = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const ca = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const cb = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    for (const members of byClass) {
      for (let i = 0; i < members.length; i++) {
        const p = members[random.int(members.length)]!;
        ca[p.label]![p.predicted[a]]! += 1;
        cb[p.label]![p.predicted[b]]! += 1;
      }
    }
    differences[r] = balancedAccuracy(ca) - balancedAccuracy(cb);
  }
  differences.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => differences[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return {
    difference: pooledBalancedAccuracy(predictions, a, classes) - pooledBalancedAccuracy(predictions, b, classes),
    low: at(tail),
    high: at(1 - tail),
    level,
    resamples,
  };
}
