/** Classification figures computed the same way everywhere (training, benchmarks, the retrain comparison). */

/** confusion[true][predicted]. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![predicted[i]!]! += 1;
  return m;
}

/** Mean per-class recall over the classes present: the fair figure when one class dominates (59 male, 17 female). */
export function balancedAccuracy(confusion: readonly (readonly number[])[]): number {
  let sum = 0;
  let present = 0;
  confusion.forEach((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    if (total === 0) return;
    sum += row[c]! / total;
    present++;
  });
  return present ? sum / present : 0;
}

export function accuracy(confusion: readonly (readonly number[])[]): number {
  let right = 0;
  let all = 0;
  confusion.forEach((row, c) => {
    right += row[c]!;
    all += row.reduce((a, b) => a + b, 0);
  });
  return all ? right / all : 0;
}

export function argmaxRows(logits: ArrayLike<number>, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

export function softmaxRow(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** log softmax(row i / t) of a [rows, classes] logits array. */
function logSoftmaxRow(logits: ArrayLike<number>, i: number, classes: number, t = 1): number[] {
  const row = Array.from({ length: classes }, (_, c) => logits[i * classes + c]! / t);
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logSum);
}

/** Mean (optionally class-weighted) cross-entropy of logits against labels. */
export function crossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, classWeights?: readonly number[]): number {
  let loss = 0;
  let weight = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = classWeights?.[labels[i]!] ?? 1;
    loss -= w * logSoftmaxRow(logits, i, classes)[labels[i]!]!;
    weight += w;
  }
  return weight ? loss / weight : 0;
}

/**
 * The distillation objective on a whole set, as the engine trains it: α·CE(labels, student) +
 * (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T)), both terms weighted per sample by class.
 */
export function distillationLoss(
  logits: ArrayLike<number>,
  teacherLogits: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  o: { readonly alpha: number; readonly temperature: number; readonly classWeights?: readonly number[] },
): number {
  let kl = 0;
  let weight = 0;
  for (let i = 0; i < labels.length; i++) {
    const t = logSoftmaxRow(teacherLogits, i, classes, o.temperature);
    const s = logSoftmaxRow(logits, i, classes, o.temperature);
    const w = o.classWeights?.[labels[i]!] ?? 1;
    kl += w * t.reduce((sum, lt, c) => sum + Math.exp(lt) * (lt - s[c]!), 0);
    weight += w;
  }
  const soft = weight ? (kl / weight) * o.temperature ** 2 : 0;
  return o.alpha * crossEntropy(logits, labels, classes, o.classWeights) + (1 - o.alpha) * soft;
}

/** Weights inversely proportional to class frequency, normalised to mean 1 over the samples. */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(values.length - 1, 1);
  return { mean, std: Math.sqrt(variance) };
}
