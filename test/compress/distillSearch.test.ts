import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShapeLabel, searchStudents, shapeLabel } from '../../src-main/compress/distillSearch';
import { trainTeacher, type Recipe } from '../../src-main/compress/pipeline';
import { parseTargetLevel } from '../../src-main/planner/memoryFit';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { trainableModel } from '../../src-main/train/engine';
import { predictLogits } from '../../src-main/train/fit';
import { distillationLoss } from '../../src-main/train/metrics';
import { toyTask } from '../fixtures/toyTask';

const modalities = [
  { name: 'a', input: [12, 8, 1] as const },
  { name: 'b', input: [8, 8, 1] as const },
];
const data = toyTask(160, 2);
const groups = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, i) => `p${from + i}`));
const pipelineData = {
  train: subset(data, indicesOfGroups(data, groups(0, 30), true)),
  val: subset(data, indicesOfGroups(data, groups(30, 40), true)),
  test: subset(data, indicesOfGroups(data, groups(30, 40), true)),
  modalities,
  classes: 2,
};
const recipe: Recipe = {
  seed: 2,
  teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
  students: [],
  fit: { epochs: 4, batchSize: 16, learningRate: 1e-2, patience: 10 },
  alpha: 0.5,
  temperature: 3,
  inputClip: 0,
};

test('a limited search distils only the largest students that fit and reports the others untrained', async () => {
  const teacher = await trainTeacher(pipelineData, recipe);
  const shapes = [
    { widthMultiplier: 0.25, depth: 1, kernelSize: 3, denseUnits: 0 },
    { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 4, depth: 3, kernelSize: 5, denseUnits: 32 },
  ];
  const statuses: string[] = [];
  const result = await searchStudents(pipelineData.train, pipelineData.val, {
    modalities,
    classes: 2,
    shapes,
    budget: { level: parseTargetLevel('custom:tcm'), maxWeightBytes: 4096 },
    teacher,
    alpha: 0.5,
    temperature: 3,
    fit: { seed: 1, epochs: 2, batchSize: 16, learningRate: 1e-2, patience: 5 },
    maxTrained: 2,
    onCandidate: (_i, _n, label, status) => statuses.push(`${label}:${status}`),
  });
  const byLabel = new Map(result.points.map((p) => [p.label, p]));
  const fitting = result.points.filter((p) => p.cost.fits).sort((a, b) => b.cost.weightBytes - a.cost.weightBytes);
  assert.equal(fitting.length, 3, 'three candidates fit the budget');
  for (const p of fitting.slice(0, 2)) assert.ok(p.valBalancedAccuracy !== undefined, `${p.label} (${p.cost.weightBytes} B) was distilled`);
  const smallest = fitting[2]!;
  assert.equal(smallest.valBalancedAccuracy, undefined, 'the smallest fitting candidate was not trained');
  assert.match(smallest.cost.why!, /not among the 2 largest candidates that fit/);
  assert.match(byLabel.get(shapeLabel(shapes[3]!))!.cost.why!, /exceed the 4096 B cap/);
  assert.equal(statuses.filter((s) => s.endsWith(':training')).length, 2);
  assert.ok(fitting.slice(0, 2).some((p) => p.chosen), 'the choice is among the trained ones');
  // The choice: best validation accuracy, ties to the lower validation distillation loss (which is the
  // objective the kept epoch was chosen by: labels and the teacher's softened outputs, not labels alone).
  const trained = fitting.slice(0, 2);
  const chosen = result.chosen.point;
  for (const p of trained) {
    assert.ok(p.valBalancedAccuracy! < chosen.valBalancedAccuracy! || (p.valBalancedAccuracy === chosen.valBalancedAccuracy && p.valLoss! >= chosen.valLoss!), `${p.label} does not beat the chosen ${chosen.label}`);
  }
  const teacherModel = trainableModel(teacher.arch, teacher.weights, { learningRate: 0 });
  const studentModel = trainableModel(result.chosen.arch, result.chosen.weights, { learningRate: 0 });
  const val = pipelineData.val;
  const expected = distillationLoss(predictLogits(studentModel, val), predictLogits(teacherModel, val), val.labels, 2, { alpha: 0.5, temperature: 3 });
  teacherModel.dispose();
  studentModel.dispose();
  assert.ok(Math.abs(chosen.valLoss! - expected) < 1e-6, `reported ${chosen.valLoss}, distillation loss ${expected}`);
  await assert.rejects(searchStudents(pipelineData.train, pipelineData.val, { modalities, classes: 2, shapes, budget: { level: parseTargetLevel('custom:tcm') }, teacher, alpha: 0.5, temperature: 3, fit: { seed: 1, epochs: 1, batchSize: 16, learningRate: 1e-2, patience: 5 }, maxTrained: 0 }), /maxTrained must be at least 1/);
});

test('a teacher that stays at chance on validation is retrained from the next seed; one that learned is not', async () => {
  const details: string[] = [];
  // Validation samples that are all alike get one answer, whatever the weights: balanced accuracy is exactly chance.
  const blank = { ...pipelineData.val, modalities: pipelineData.val.modalities.map((m) => new Float32Array(m.length)) };
  await trainTeacher({ ...pipelineData, val: blank }, { ...recipe, fit: { ...recipe.fit, epochs: 2 }, teacherRestarts: 1 }, (p) => details.push(p.detail));
  assert.ok(details.some((d) => d.startsWith('teacher (restart 1) epoch')), 'the stuck teacher was restarted');
  const learned: string[] = [];
  await trainTeacher(pipelineData, { ...recipe, teacherRestarts: 1, teacherFit: { epochs: 6 } }, (p) => learned.push(p.detail));
  assert.equal(learned.filter((d) => d.includes('restart')).length, 0, 'a teacher above chance is kept');
  assert.equal(learned.length, 6, 'teacherFit overrides the shared epochs for the teacher');
});

test("a student's label names its shape and reads back to it (the bench finds the bundled student by its label)", () => {
  const shapes = [
    { widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8, pooling: 'time' as const },
    { widthMultiplier: 1, depth: 2, kernelSize: 5, denseUnits: 0 },
  ];
  assert.deepEqual(shapes.map(shapeLabel), ['w0.75-d3-k3-fc8', 'w0.75-d3-k3-fc8-tp', 'w1-d2-k5-fc0']);
  for (const s of shapes) assert.deepEqual(parseShapeLabel(shapeLabel(s)), s);
  assert.equal(parseShapeLabel('teacher'), undefined);
  assert.equal(parseShapeLabel('w0.75-d3-k3-fc8-xx'), undefined);
});
