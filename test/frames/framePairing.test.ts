import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameError } from '../../src-main/frames/frameError';
import { frameRole, pairByName, pairByTimestamp, requireAllPaired, splitByRole, timestampFromName } from '../../src-main/frames/framePairing';

test('pairs by name stem across extensions and folders, leaving strays unpaired', () => {
  const files = ['s1/0001_depth.png', 's1/0001_thermal.png', 's1/0002_depth.png', 's1/0002-thermal.csv', 's1/0003_depth.png', 's1/0004_thermal.png', 's1/notes.txt'];
  const { depth, thermal, other } = splitByRole(files);
  assert.deepEqual(other, ['s1/notes.txt']);
  const p = pairByName(depth, thermal);
  assert.deepEqual(p.pairs.map((x) => [x.key, x.depth, x.thermal]), [
    ['0001', 's1/0001_depth.png', 's1/0001_thermal.png'],
    ['0002', 's1/0002_depth.png', 's1/0002-thermal.csv'],
  ]);
  assert.deepEqual(p.unpairedDepth, ['s1/0003_depth.png']);
  assert.deepEqual(p.unpairedThermal, ['s1/0004_thermal.png']);
  assert.deepEqual(frameRole('a/b/walk.3_Depth.png'), { stem: 'walk.3', role: 'depth' });
});

test('reads timestamps in seconds, milliseconds and nanoseconds from names', () => {
  assert.equal(timestampFromName('depth_1700000000123.png'), 1700000000123);
  assert.equal(timestampFromName('thermal_1700000000.125.csv'), 1700000000125);
  assert.equal(timestampFromName('cam2_1700000000.png'), 1700000000000);
  assert.equal(timestampFromName('t_1700000000123456789.png'), 1700000000123.4568);
  assert.equal(timestampFromName('thermal.png'), undefined);
});

test('pairs by closest timestamp within tolerance, one-to-one, when the sensors run at different rates', () => {
  // Depth at 30 fps, thermal at ~8 fps with its own clock jitter: only the closest depth frame gets each thermal frame.
  const depth = Array.from({ length: 10 }, (_, i) => `d/depth_${1000 + Math.round(i * 33.3)}.png`);
  const thermal = ['t/thermal_1004.csv', 't/thermal_1128.csv', 't/thermal_1251.csv', 't/thermal_5000.csv'];
  const p = pairByTimestamp(depth, thermal, 20);
  assert.deepEqual(p.pairs.map((x) => [x.depth, x.thermal, x.dtMs]), [
    ['d/depth_1000.png', 't/thermal_1004.csv', 4],
    ['d/depth_1133.png', 't/thermal_1128.csv', -5],
    ['d/depth_1266.png', 't/thermal_1251.csv', -15],
  ]);
  assert.equal(p.unpairedDepth.length, 7);
  assert.deepEqual(p.unpairedThermal, ['t/thermal_5000.csv']);
});

test('the closest match wins even when a nearer depth frame comes later in the listing', () => {
  const p = pairByTimestamp(['depth_100.png', 'depth_110.png'], ['thermal_108.png'], 50);
  assert.deepEqual(p.pairs.map((x) => x.depth), ['depth_110.png']);
  assert.deepEqual(p.unpairedDepth, ['depth_100.png']);
});

test('requireAllPaired names the first lonely frame', () => {
  assert.throws(() => requireAllPaired(pairByName(['x/7_depth.png'], ['x/8_thermal.png'])), (e: unknown) => e instanceof FrameError && e.reason === 'unpaired' && e.file === 'x/7_depth.png');
  assert.throws(() => requireAllPaired(pairByName([], ['x/8_thermal.png'])), (e: unknown) => e instanceof FrameError && e.file === 'x/8_thermal.png');
  assert.equal(requireAllPaired(pairByName(['7_depth.png'], ['7_thermal.png'])).length, 1);
});
