import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryFitSchema } from '../../src-main/models/packageMeta';
import { fitTargets, parseTargetLevel, requiredBytes, targetLevelIds } from '../../src-main/planner/memoryFit';
import { planMemory } from '../../src-main/planner/planMemory';
import { bundledTargets, parseTarget, type Target } from '../../src-main/planner/target';
import { randomTwoBranchGraph } from '../fixtures/randomInt8Graph';

const board: Target = parseTarget(
  {
    id: 'board',
    name: 'Test board',
    sources: [{ title: 'hand-made' }],
    levels: [
      { id: 'both', name: 'Both', capacityBytes: 1000, holds: ['weights', 'activations'] },
      { id: 'flash', name: 'Flash', capacityBytes: 700, holds: ['weights'] },
      { id: 'sram', name: 'SRAM', capacityBytes: 350, holds: ['activations'] },
    ],
  },
  'board.json',
);

test('each level sums what it holds: weights (+ quant params) and/or arena + scratch', () => {
  const needs = { weightBytes: 600, quantParamBytes: 50, peakActivationBytes: 300, scratchBytes: 40 };
  assert.equal(requiredBytes(needs, board.levels[0]!), 990);
  assert.equal(requiredBytes(needs, board.levels[1]!), 650);
  assert.equal(requiredBytes(needs, board.levels[2]!), 340);
  assert.deepEqual(fitTargets(needs, [board]), [
    { target: 'board', level: 'both', capacityBytes: 1000, fits: true },
    { target: 'board', level: 'flash', capacityBytes: 700, fits: true },
    { target: 'board', level: 'sram', capacityBytes: 350, fits: true },
  ]);
  const bigger = { ...needs, scratchBytes: 51 };
  assert.deepEqual(
    fitTargets(bigger, [board]).map((f) => f.fits),
    [false, true, false],
    'one scratch byte more tips the shared and activation levels over exactly at capacity + 1',
  );
  assert.deepEqual(fitTargets({ weightBytes: 700, peakActivationBytes: 0, scratchBytes: 0 }, [board])[1], { target: 'board', level: 'flash', capacityBytes: 700, fits: true });
});

test('a planned model gets one package-metadata fit row per bundled target level', () => {
  const plan = planMemory(randomTwoBranchGraph(1));
  const targets = bundledTargets();
  const fits = fitTargets(plan, targets);
  assert.equal(fits.length, targetLevelIds(targets).length);
  for (const fit of fits) assert.deepEqual(memoryFitSchema.parse(fit), fit);
  // A tiny test graph (~2 KB all told) fits every level that holds both.
  const total = plan.weightBytes + plan.quantParamBytes + plan.arenaBytes;
  assert.ok(total < 16 * 1024);
  assert.ok(fits.find((f) => f.target === 'gap8' && f.level === 'l1-fc')!.fits);
  const cramped = fitTargets({ ...plan, weightBytes: 16 * 1024 - plan.arenaBytes - plan.quantParamBytes + 1 }, targets);
  assert.equal(cramped.find((f) => f.target === 'gap8' && f.level === 'l1-fc')!.fits, false);
  assert.equal(cramped.find((f) => f.target === 'gap8' && f.level === 'l1')!.fits, true);
});

test('parseTargetLevel resolves gap8:l1 and lists the valid ids on any mistake', () => {
  const { target, level } = parseTargetLevel('gap8:l1');
  assert.equal(target.id, 'gap8');
  assert.equal(level.capacityBytes, 80 * 1024);
  assert.equal(parseTargetLevel('rpi4b:l2').level.capacityBytes, 1024 * 1024);
  assert.equal(parseTargetLevel('board:sram', [board]).level.id, 'sram');
  const lists = /valid ids: custom:sram, custom:flash, custom:tcm, gap8:l1, gap8:l1-cluster, gap8:l1-fc, gap8:l2, rpi4b:l1, rpi4b:l2/;
  assert.throws(() => parseTargetLevel('gap9:l1'), (e: Error) => /unknown target "gap9"/.test(e.message) && lists.test(e.message));
  assert.throws(() => parseTargetLevel('gap8:l3'), (e: Error) => /gap8 has no memory level "l3"/.test(e.message) && lists.test(e.message));
  assert.throws(() => parseTargetLevel('gap8'), (e: Error) => /"gap8" is not <target>:<level>/.test(e.message) && lists.test(e.message));
});
