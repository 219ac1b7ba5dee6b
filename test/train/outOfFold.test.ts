import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedBootstrap, pooledBalancedAccuracy, type CvVariant, type OutOfFoldPrediction } from '../../src-main/train/outOfFold';

/** `labels[i]` and, per variant, the classes predicted for participant i. */
function predictions(labels: number[], says: Partial<Record<CvVariant, number[]>>): OutOfFoldPrediction[] {
  return labels.map((label, i) => ({
    participant: `p${i}`,
    fold: i % 5,
    label,
    predicted: {
      teacher: says.teacher?.[i] ?? label,
      studentAlone: says.studentAlone?.[i] ?? label,
      studentDistilled: says.studentDistilled?.[i] ?? label,
      studentInt8: says.studentInt8?.[i] ?? label,
    },
  }));
}

// 4 female (0), 8 male (1): the imbalance balanced accuracy is for.
const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

test('pooled balanced accuracy is the mean per-class recall over every fold’s participants', () => {
  // Teacher: 3 of 4 female right, 6 of 8 male right → (0.75 + 0.75) / 2.
  const p = predictions(labels, { teacher: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0] });
  assert.equal(pooledBalancedAccuracy(p, 'teacher', 2), 0.75);
  assert.equal(pooledBalancedAccuracy(p, 'studentInt8', 2), 1);
});

test('a paired bootstrap of two variants that always agree has no spread', () => {
  const same = [0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1];
  const d = pairedBootstrap(predictions(labels, { teacher: same, studentInt8: same }), 'studentInt8', 'teacher', 2, { resamples: 500 });
  assert.deepEqual([d.difference, d.low, d.high], [0, 0, 0]);
  assert.equal(d.resamples, 500);
  assert.equal(d.level, 0.95);
});

test('the paired bootstrap brackets the pooled difference, is seeded, and narrows with more participants', () => {
  // The student is right wherever the teacher is, and on two more participants (one per class).
  const teacher = [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1];
  const student = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1];
  const p = predictions(labels, { teacher, studentInt8: student });
  const d = pairedBootstrap(p, 'studentInt8', 'teacher', 2, { seed: 3 });
  // Teacher (2/4 + 5/8) / 2 = 0.5625; student (3/4 + 6/8) / 2 = 0.75.
  assert.ok(Math.abs(d.difference - 0.1875) < 1e-12);
  // Never worse on any resample (it is right on a superset), so the interval cannot go below zero.
  assert.ok(d.low >= 0 && d.low <= d.difference && d.difference <= d.high, JSON.stringify(d));
  assert.deepEqual(pairedBootstrap(p, 'studentInt8', 'teacher', 2, { seed: 3 }), d);
  const many = (a: number[]) => Array.from({ length: 10 }, () => a).flat();
  const wide = pairedBootstrap(predictions(many(labels), { teacher: many(teacher), studentInt8: many(student) }), 'studentInt8', 'teacher', 2, { seed: 3 });
  assert.ok(Math.abs(wide.difference - d.difference) < 1e-12);
  assert.ok(wide.high - wide.low < d.high - d.low, `120 participants (${wide.low}..${wide.high}) give a narrower interval than 12 (${d.low}..${d.high})`);
});

test('the paired bootstrap refuses an empty set', () => {
  assert.throws(() => pairedBootstrap([], 'studentInt8', 'teacher', 2), /no out-of-fold predictions/);
});
