import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Camera } from '../../src-main/posegen/camera';
import { type DepthSensorParams, senseDepth } from '../../src-main/posegen/depthSensor';
import { POSE_CLASSES } from '../../src-main/posegen/poseClass';
import { Rng } from '../../src-main/posegen/random';
import type { Box, Room, Surface } from '../../src-main/posegen/room';
import { generateSample } from '../../src-main/posegen/sample';
import { buildScene, castRays } from '../../src-main/posegen/scene';
import { makeSubjects } from '../../src-main/posegen/subject';

const surface = (kind: Surface['kind'], dropout = 0): Surface => ({ kind, tempC: 21, dropout });

/** An empty room so wide and tall that a narrow camera on the near wall sees only the far wall, `distance` away. */
function wallRoom(distance: number, wallDropout = 0, boxes: Box[] = []): Room {
  return {
    width: 30,
    depth: distance,
    height: 20,
    ambientC: 21,
    stratificationCPerM: 0,
    floor: surface('floor'),
    wall: surface('wall', wallDropout),
    ceiling: surface('ceiling'),
    window: { x0: 0, x1: 0, y0: 0, y1: 0, surface: surface('window') },
    boxes,
    bed: { min: [0, 0, 0], max: [0, 0, 0], mattressTop: 0, side: 1 },
    seats: [],
  };
}

const camera = (distance: number): Camera => ({ position: [0, 10, -distance / 2], yaw: 0, pitch: 0, roll: 0, hfovDeg: 40, width: 80, height: 60 });

const sensor: DepthSensorParams = { minMm: 300, maxMm: 6000, noiseMmAt1m: 2, quantMmAt1m: 1, edgeDropFar: 0.7, edgeDropNear: 0.2, grazingCos: 0.1, holes: 0 };

function wallStats(distance: number, params = sensor, wallDropout = 0) {
  const room = wallRoom(distance, wallDropout);
  const scene = buildScene(room, []);
  const frame = senseDepth(castRays(scene, camera(distance)), scene, params, new Rng('wall', distance));
  const valid = [...frame.mm].filter((v) => v > 0);
  const mean = valid.reduce((a, b) => a + b, 0) / valid.length;
  const sd = Math.sqrt(valid.reduce((a, b) => a + (b - mean) ** 2, 0) / valid.length);
  return { mean, sd, missing: 1 - valid.length / frame.mm.length };
}

test('a flat wall reads its distance along the optical axis, with noise growing as distance squared', () => {
  const near = wallStats(1);
  const far = wallStats(3);
  assert.equal(near.missing, 0);
  assert.ok(Math.abs(near.mean - 1000) < 0.5, `1 m wall reads ${near.mean.toFixed(2)} mm`);
  assert.ok(Math.abs(far.mean - 3000) < 3, `3 m wall reads ${far.mean.toFixed(2)} mm`);
  // σ = 2 mm·z² plus quantization: ≈2.0 mm at 1 m, ≈18.2 mm at 3 m (9 mm steps).
  assert.ok(near.sd > 1.6 && near.sd < 2.5, `σ at 1 m: ${near.sd.toFixed(2)} mm`);
  assert.ok(far.sd > 15 && far.sd < 22, `σ at 3 m: ${far.sd.toFixed(2)} mm`);
  assert.ok(far.sd / near.sd > 6, `noise ratio 3 m / 1 m: ${(far.sd / near.sd).toFixed(1)}`);
});

test('readings outside the sensor range are missing (0), and dark surfaces drop out at their rate', () => {
  assert.equal(wallStats(0.25).missing, 1, 'closer than 0.3 m');
  assert.equal(wallStats(6.5).missing, 1, 'beyond 6 m');
  assert.equal(wallStats(6.5, { ...sensor, maxMm: 8000 }).missing, 0, 'a longer-range sensor still sees it');
  const dark = wallStats(2, sensor, 0.4).missing;
  assert.ok(Math.abs(dark - 0.4) < 0.03, `40 % dropout surface: ${(dark * 100).toFixed(1)} % missing`);
});

test('pixels at depth edges are removed (mostly on the far side), not smeared between the surfaces', () => {
  const box: Box = { min: [-0.3, 9.7, -0.5], max: [0.3, 10.3, 0.5], surface: surface('furniture') };
  const room = wallRoom(4, 0, [box]);
  const scene = buildScene(room, []);
  const rays = castRays(scene, camera(4));
  const frame = senseDepth(rays, scene, sensor, new Rng('edges'));
  const { width: w, height: h } = frame;
  let farEdge = 0, farMissing = 0, interior = 0, interiorMissing = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const nb = [rays.z[i - 1]!, rays.z[i + 1]!, rays.z[i - w]!, rays.z[i + w]!];
      const isFar = nb.some((z) => rays.z[i]! - z > 0.3);
      const isNear = nb.some((z) => z - rays.z[i]! > 0.3);
      if (isFar) {
        farEdge++;
        if (frame.mm[i] === 0) farMissing++;
      } else if (!isNear) {
        interior++;
        if (frame.mm[i] === 0) interiorMissing++;
      }
      // The box front is 1.5 m away, the wall 4 m: no reading may lie between them (a flying pixel).
      if (frame.mm[i]! > 0) assert.ok(Math.abs(frame.mm[i]! - 1500) < 50 || Math.abs(frame.mm[i]! - 4000) < 250, `flying pixel ${frame.mm[i]} mm at (${x}, ${y})`);
    }
  }
  assert.ok(farEdge > 20);
  assert.ok(farMissing / farEdge > 0.5, `far-side edge pixels missing: ${farMissing}/${farEdge}`);
  assert.equal(interiorMissing, 0, `interior pixels missing: ${interiorMissing}/${interior}`);
});

test('generated frames: missing-pixel share is realistic (a few to ~35 %), and the person is in view', () => {
  const subjects = makeSubjects(21, 6);
  const shares: number[] = [];
  for (let i = 0; i < 36; i++) {
    const label = POSE_CLASSES[i % POSE_CLASSES.length]!;
    const s = generateSample({ seed: 21, index: i, label, subject: subjects[i % 6]!, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 } });
    shares.push([...s.depth.mm].filter((v) => v === 0).length / s.depth.mm.length);
    // The person (or the blanket draped over them in bed) covers some of the image: the camera is aimed at them.
    const rays = castRays(s.scene, s.params.depthCamera);
    const body = new Set(s.scene.capsuleSurface);
    const onBody = [...rays.surface].filter((k) => body.has(k)).length;
    assert.ok(onBody >= 15, `${label} sample ${i}: only ${onBody} depth pixels on the person`);
  }
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  assert.ok(mean > 0.03 && mean < 0.35, `mean missing share ${(mean * 100).toFixed(1)} %`);
  assert.ok(Math.max(...shares) < 0.6, `worst frame ${(Math.max(...shares) * 100).toFixed(1)} % missing`);
  assert.ok(Math.min(...shares) > 0.005, `best frame ${(Math.min(...shares) * 100).toFixed(2)} % missing`);
});
