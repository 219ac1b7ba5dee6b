import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArchitectureError, allLayers, buildArchitecture } from '../../src-main/model/architecture';
import { studentArchitecture, teacherArchitecture } from '../../src-main/model/tinyM2Net';

test('shapes, parameters and MACs are inferred per layer', () => {
  const arch = buildArchitecture({
    name: 'two',
    classes: 3,
    modalities: [
      {
        name: 'cough',
        input: [40, 64, 1],
        layers: [
          { kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3] },
          { kind: 'maxPool', size: [2, 2] },
          { kind: 'separableConv2d', name: 's', filters: 8, kernel: [3, 3], stride: [2, 2] },
          { kind: 'globalAvgPool' },
        ],
      },
      { name: 'img', input: [9, 9, 3], layers: [{ kind: 'conv2d', filters: 2, kernel: [3, 3], padding: 'valid', batchNorm: false }] },
    ],
    head: [{ kind: 'dense', units: 5 }],
  });
  const [cough, img] = arch.branches;
  const shapes = cough!.layers.map((l) => [l.name, l.outShape]);
  assert.deepEqual(shapes, [
    ['cough/c', [40, 64, 4]],
    ['cough/maxPool_1', [20, 32, 4]],
    ['cough/s', [10, 16, 8]],
    ['cough/globalAvgPool_3', [8]],
  ]);
  const conv = cough!.layers[0]!;
  assert.equal(conv.params, 4 * 1 * 9 + 4 + 4); // kernel + γ + β (no bias with batch-norm)
  assert.equal(conv.macs, 40 * 64 * 4 * 9);
  const sep = cough!.layers[2]!;
  assert.equal(sep.params, 4 * 9 + 8 * 4 + 8 + 8);
  assert.equal(sep.macs, 10 * 16 * 4 * 9 + 10 * 16 * 4 * 8);
  // SAME with stride 2 on an even size pads only at the bottom/right, as TensorFlow does.
  assert.ok(sep.kind === 'separableConv2d');
  assert.deepEqual(sep.pads, [0, 0, 1, 1]);

  assert.deepEqual(img!.layers[0]!.outShape, [7, 7, 2]);
  assert.equal(img!.layers[0]!.params, 2 * 3 * 9 + 2);
  assert.equal(img!.outputSize, 98); // the 3-D output is flattened into the fusion
  assert.equal(arch.fusionSize, 8 + 98);
  assert.deepEqual(
    arch.head.map((l) => [l.name, l.inShape, l.outShape, l.params]),
    [
      ['head/dense_0', [106], [5], 106 * 5 + 5],
      ['head/logits', [5], [3], 5 * 3 + 3],
    ],
  );
  assert.equal(arch.params, allLayers(arch).reduce((s, l) => s + l.params, 0));
  assert.equal(arch.macs, allLayers(arch).reduce((s, l) => s + l.macs, 0));
});

test('shape errors name the layer', () => {
  const tooSmall = () =>
    buildArchitecture({
      name: 'bad',
      classes: 2,
      modalities: [
        {
          name: 'cough',
          input: [4, 4, 1],
          layers: [
            { kind: 'maxPool', size: [2, 2] },
            { kind: 'conv2d', name: 'big', filters: 2, kernel: [5, 5], padding: 'valid' },
          ],
        },
      ],
    });
  assert.throws(tooSmall, (e: unknown) => e instanceof ArchitectureError && e.layer === 'cough/big' && /kernel 5 is larger than the input height 2/.test(e.message));

  const afterGap = () =>
    buildArchitecture({
      name: 'bad',
      classes: 2,
      modalities: [{ name: 'm', input: [8, 8, 1], layers: [{ kind: 'globalAvgPool', name: 'g' }, { kind: 'maxPool', name: 'p', size: [2, 2] }] }],
    });
  assert.throws(afterGap, /layer "m\/p": maxPool needs a \[H, W, C\] input but gets \[1\]/);

  const badField = () => buildArchitecture({ name: 'bad', classes: 2, modalities: [{ name: 'm', input: [8, 8, 1], layers: [{ kind: 'conv2d', filters: 0, kernel: [3, 3] }] }] });
  assert.throws(badField, /layer "modalities.0.layers.0.filters"/);

  const dup = () => buildArchitecture({ name: 'bad', classes: 2, modalities: [{ name: 'm', input: [8, 8, 1], layers: [{ kind: 'globalAvgPool', name: 'g' }, { kind: 'globalAvgPool', name: 'g' }] }] });
  assert.throws(dup, /layer "m\/g": the name is used twice/);
});

test('descriptions are plain JSON and survive a round trip', () => {
  const desc = teacherArchitecture({ modalities: [{ name: 'a', input: [40, 64, 1] }], classes: 2 });
  const again = buildArchitecture(JSON.parse(JSON.stringify(desc)));
  assert.deepEqual(again, buildArchitecture(desc));
});

test('teacher and student factories span the family', () => {
  const modalities = [
    { name: 'cough', input: [40, 64, 1] as const },
    { name: 'breath', input: [40, 64, 1] as const },
    { name: 'speech', input: [40, 64, 1] as const },
  ];
  const teacher = buildArchitecture(teacherArchitecture({ modalities, classes: 2 }));
  const student = buildArchitecture(studentArchitecture({ modalities, classes: 2 }));
  assert.ok(teacher.params > 10 * student.params, `teacher ${teacher.params} vs student ${student.params}`);
  assert.equal(teacher.branches.length, 3);
  assert.deepEqual(
    teacher.branches[0]!.layers.map((l) => l.kind),
    ['conv2d', 'maxPool', 'separableConv2d', 'maxPool', 'separableConv2d', 'maxPool', 'separableConv2d', 'maxPool', 'globalAvgPool'],
  );
  const deep = buildArchitecture(studentArchitecture({ modalities: [{ name: 'm', input: [3, 3, 1] }], classes: 2, depth: 4, kernelSize: 5 }));
  assert.deepEqual(deep.branches[0]!.layers.at(-1)!.outShape, [deep.branches[0]!.layers.at(-2)!.outShape[2]]);
});

test("time pooling averages over time only and keeps the bands' positions as fusion features", () => {
  const modalities = [
    { name: 'cough', input: [64, 32, 1] as const },
    { name: 'speech', input: [128, 32, 1] as const },
  ];
  const arch = buildArchitecture(studentArchitecture({ modalities, classes: 2, widthMultiplier: 0.75, depth: 3, denseUnits: 8, pooling: 'time' }));
  const cough = arch.branches[0]!;
  const speech = arch.branches[1]!;
  assert.deepEqual(cough.layers.at(-1)!.kind, 'avgPool');
  // 64×32 → three 2×2 pools → 8×4; the last pool spans all 8 time steps and keeps the 4 band groups.
  assert.deepEqual(cough.layers.at(-1)!.inShape, [8, 4, 24]);
  assert.deepEqual(cough.layers.at(-1)!.outShape, [1, 4, 24]);
  assert.deepEqual(speech.layers.at(-1)!.outShape, [1, 4, 24], 'a longer input gives the same features');
  const global = buildArchitecture(studentArchitecture({ modalities, classes: 2, widthMultiplier: 0.75, depth: 3, denseUnits: 8 }));
  assert.equal(arch.params - global.params, 2 * (4 - 1) * 24 * 8, 'only the first dense layer grows, by the extra band groups');
});
