import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCoswara } from '../../src-main/datasets/coswaraDataset';
import type { Dataset } from '../../src-main/datasets/dataset';
import { datasetFolds, fixedSplit, groupedStratifiedKFold, SplitError, type SplitItem } from '../../src-main/datasets/split';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

test('grouped k-fold keeps every participant together, once, and balances each label', () => {
  // 23 participants, 2–4 recordings each, 3 labels of very different sizes.
  const items: SplitItem[] = [];
  for (let p = 0; p < 23; p++) {
    const label = p < 3 ? 'rare' : p < 10 ? 'middle' : 'common';
    for (let r = 0; r < 2 + (p % 3); r++) items.push({ group: `p${p}`, label });
  }
  const folds = groupedStratifiedKFold(items, { k: 4, seed: 7 });
  const all = folds.flatMap((f) => f.groups);
  assert.equal(all.length, 23);
  assert.equal(new Set(all).size, 23);
  for (const label of ['rare', 'middle', 'common']) {
    const counts = folds.map((f) => f.labelCounts[label]!);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${label}: ${counts}`);
  }
  const sizes = folds.map((f) => f.groups.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  // Same seed → same folds, whatever order the items came in; another seed → other folds.
  assert.deepEqual(groupedStratifiedKFold(items.slice().reverse(), { k: 4, seed: 7 }), folds);
  assert.notDeepEqual(groupedStratifiedKFold(items, { k: 4, seed: 8 }).map((f) => f.groups), folds.map((f) => f.groups));
});

test('bad requests are refused by name', () => {
  assert.throws(() => groupedStratifiedKFold([{ group: 'a', label: 'x' }, { group: 'a', label: 'y' }], { k: 2, seed: 1 }), /participant a has two labels/);
  assert.throws(() => groupedStratifiedKFold([{ group: 'a', label: 'x' }], { k: 2, seed: 1 }), SplitError);
  assert.throws(() => groupedStratifiedKFold([{ group: 'a', label: 'x' }, { group: 'b', label: 'x' }], { k: 1, seed: 1 }), /integer ≥ 2/);
});

test('Coswara by gender: 5 disjoint folds, every participant once, both genders in every fold', { skip: coswaraSkip }, () => {
  const dataset = loadCoswara(COSWARA_DIR);
  const { folds, unlabelled } = datasetFolds(dataset, 'g', { k: 5, seed: 2020 });
  assert.deepEqual(unlabelled, []);
  assert.equal(folds.length, 5);
  const all = folds.flatMap((f) => f.groups);
  assert.equal(all.length, 76);
  assert.deepEqual(new Set(all), new Set(dataset.subjects.map((s) => s.id)));
  for (let a = 0; a < 5; a++) for (let b = a + 1; b < 5; b++) assert.ok(!folds[a]!.groups.some((g) => folds[b]!.groups.includes(g)));
  // 17 female, 59 male → 3 or 4 women and 11 or 12 men in each fold.
  for (const f of folds) {
    assert.ok(f.labelCounts.female! >= 3 && f.labelCounts.female! <= 4, JSON.stringify(f.labelCounts));
    assert.ok(f.labelCounts.male! >= 11 && f.labelCounts.male! <= 12, JSON.stringify(f.labelCounts));
    const actual = f.groups.map((id) => dataset.subjects.find((s) => s.id === id)!.labels.g);
    assert.deepEqual([actual.filter((g) => g === 'female').length, actual.filter((g) => g === 'male').length], [f.labelCounts.female, f.labelCounts.male]);
  }
  assert.equal(folds.reduce((n, f) => n + f.labelCounts.female!, 0), 17);
  assert.throws(() => datasetFolds(dataset, 'gender'), /no label column "gender"/);
});

test('Coswara fixed split: 51 train, 10 val, 15 test, disjoint, and gender-stratified', { skip: coswaraSkip }, () => {
  const dataset = loadCoswara(COSWARA_DIR);
  const split = fixedSplit(dataset);
  assert.deepEqual([split.train.length, split.val.length, split.test.length, split.unassigned.length], [51, 10, 15, 0]);
  assert.equal(new Set([...split.train, ...split.val, ...split.test]).size, 76);
  const women = (ids: readonly string[]) => ids.filter((id) => dataset.subjects.find((s) => s.id === id)!.labels.g === 'female').length;
  assert.ok(women(split.test) >= 2 && women(split.val) >= 1, `test ${women(split.test)}, val ${women(split.val)} women`);

  const tampered: Dataset = { ...dataset, subjects: dataset.subjects.map((s, i) => (i === 3 ? { ...s, labels: { ...s.labels, split: 'holdout' } } : s)) };
  assert.throws(() => fixedSplit(tampered), new RegExp(`participant ${dataset.subjects[3]!.id}: split "holdout" is not one of train, val, test`));
});
