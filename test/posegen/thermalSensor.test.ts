import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POSE_CLASSES, type PoseClass } from '../../src-main/posegen/poseClass';
import { Rng } from '../../src-main/posegen/random';
import { generateSample, type GeneratedSample } from '../../src-main/posegen/sample';
import { buildScene, castRays, type RayImage } from '../../src-main/posegen/scene';
import { makeSubjects } from '../../src-main/posegen/subject';
import { apparentTemperatures, senseThermal, type ThermalSensorParams } from '../../src-main/posegen/thermalSensor';
import type { Room, Surface } from '../../src-main/posegen/room';

const subjects = makeSubjects(31, 6);
const BODY = new Set(['skin', 'cloth', 'hair', 'shoe']);

function sample(index: number, label: PoseClass, width: number, height: number): GeneratedSample {
  return generateSample({ seed: 31, index, label, subject: subjects[index % 6]!, depthSize: { width: 40, height: 30 }, thermalSize: { width, height } });
}

/** The thermal camera's fine rays, exactly as the generator cast them, and what each sensor pixel covers. */
function coverage(s: GeneratedSample, accept: (sf: Surface, k: number) => boolean): { rays: RayImage; fraction: Float32Array; minCos: Float32Array } {
  const os = s.params.thermalOversample;
  const { width, height } = s.params.thermalCamera;
  const rays = castRays(s.scene, { ...s.params.thermalCamera, width: width * os, height: height * os });
  const fraction = new Float32Array(width * height);
  const minCos = new Float32Array(width * height).fill(1);
  for (let y = 0; y < rays.height; y++) {
    for (let x = 0; x < rays.width; x++) {
      const i = y * rays.width + x;
      const p = Math.floor(y / os) * width + Math.floor(x / os);
      const k = rays.surface[i]!;
      if (accept(s.scene.surfaces[k]!, k)) fraction[p]! += 1 / (os * os);
      minCos[p] = Math.min(minCos[p]!, rays.cosine[i]!);
    }
  }
  return { rays, fraction, minCos };
}

/** The sensor's deterministic error at a pixel (offset, drift, vignetting), to compare against physics. */
function systematic(p: ThermalSensorParams, x: number, y: number, w: number, h: number): number {
  const u = (x + 0.5) / w - 0.5, v = (y + 0.5) / h - 0.5;
  return p.offsetC + p.driftXC * (u + 0.5) + p.driftYC * (v + 0.5) + p.vignetteC * ((u * u + v * v) / 0.5);
}

test('at high resolution, facial skin reads 33–35 °C within the sensor noise', () => {
  let checked = 0;
  for (let i = 0; i < 12 && checked < 40; i++) {
    const s = sample(i, 'standing', 160, 120);
    const { width: w, height: h } = s.thermal;
    const face = s.scene.capsuleSurface[s.person.capsules.findIndex((c) => c.part === 'face')]!;
    const cov = coverage(s, (_sf, k) => k === face);
    const p = s.params.thermalSensor;
    const sigma = Math.hypot(p.netdK, p.fixedPatternK);
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const j = y * w + x;
        // Whole pixel and its neighbours on the face (so optical crosstalk mixes in only face), seen squarely.
        if (![j, j - 1, j + 1, j - w, j + w].every((n) => cov.fraction[n] === 1) || cov.minCos[j]! < 0.6) continue;
        const reading = s.thermal.celsius[j]! - systematic(p, x, y, w, h);
        assert.ok(reading > 33 - 0.6 - 4 * sigma && reading < 35 + 4 * sigma, `face pixel reads ${reading.toFixed(2)} °C (σ ${sigma.toFixed(2)} K)`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} face pixels checked`);
});

test('the person reads warmer than the background in every low-resolution frame', () => {
  const gaps: number[] = [];
  for (let i = 0; i < 24; i++) {
    const label = POSE_CLASSES[i % POSE_CLASSES.length]!;
    const s = sample(i, label, 32, 24);
    const cov = coverage(s, (sf) => BODY.has(sf.kind));
    const person: number[] = [], background: number[] = [];
    s.thermal.celsius.forEach((c, j) => {
      if (cov.fraction[j]! >= 0.75) person.push(c);
      else if (cov.fraction[j] === 0) background.push(c);
    });
    if (person.length < 2) continue;
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const gap = median(person) - median(background);
    assert.ok(gap > 1, `${label} sample ${i}: person ${median(person).toFixed(1)} °C vs background ${median(background).toFixed(1)} °C`);
    gaps.push(gap);
  }
  assert.ok(gaps.length >= 12, `person covered whole pixels in only ${gaps.length} of 24 frames`);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(mean > 3, `mean person–background contrast ${mean.toFixed(1)} K`);
});

test('a radiator that is on reads hot, well above the room', () => {
  let seen = 0;
  for (let i = 0; i < 40 && seen < 3; i++) {
    const s = sample(i, 'standing', 80, 60);
    const radiator = s.scene.surfaces.findIndex((sf) => sf.kind === 'radiator');
    if (radiator < 0 || s.scene.surfaces[radiator]!.tempC < 38) continue;
    const cov = coverage(s, (_sf, k) => k === radiator);
    const hot = [...s.thermal.celsius].filter((_c, j) => cov.fraction[j] === 1 && cov.minCos[j]! > 0.5);
    if (hot.length < 3) continue;
    const mean = hot.reduce((a, b) => a + b, 0) / hot.length;
    assert.ok(mean > s.params.room.ambientC + 10 && mean > 35, `radiator at ${s.scene.surfaces[radiator]!.tempC.toFixed(1)} °C reads ${mean.toFixed(1)} °C in a ${s.params.room.ambientC.toFixed(1)} °C room`);
    seen++;
  }
  assert.ok(seen >= 1, 'no sample showed a running radiator');
});

test('pixel noise matches the NETD; vignetting and drift are smooth, deterministic terms', () => {
  const wall: Surface = { kind: 'wall', tempC: 22, dropout: 0 };
  const room: Room = {
    width: 30, depth: 3, height: 20, ambientC: 22, stratificationCPerM: 0,
    floor: wall, wall, ceiling: wall, window: { x0: 0, x1: 0, y0: 0, y1: 0, surface: wall },
    boxes: [], bed: { min: [0, 0, 0], max: [0, 0, 0], mattressTop: 0, side: 1 }, seats: [],
  };
  const scene = buildScene(room, []);
  const rays = castRays(scene, { position: [0, 10, -1.5], yaw: 0, pitch: 0, roll: 0, hfovDeg: 40, width: 80, height: 60 });
  const flat = apparentTemperatures(rays, scene);
  assert.ok(flat.every((t) => Math.abs(t - 22) < 1e-4), 'a wall seen squarely at one temperature is uniform');
  const p: ThermalSensorParams = { netdK: 0.3, offsetC: 0.5, driftXC: 0.2, driftYC: -0.1, vignetteC: -0.8, crosstalk: 0.08, fixedPatternK: 0 };
  const frame = senseThermal(flat, 80, 60, p, new Rng('netd'));
  let sum = 0, sum2 = 0;
  frame.celsius.forEach((c, j) => {
    const r = c - 22 - systematic(p, j % 80, Math.floor(j / 80), 80, 60);
    sum += r;
    sum2 += r * r;
  });
  const n = frame.celsius.length;
  const sd = Math.sqrt(sum2 / n - (sum / n) ** 2);
  assert.ok(Math.abs(sum / n) < 0.03, `residual mean ${(sum / n).toFixed(3)} K`);
  assert.ok(Math.abs(sd - 0.3) < 0.03, `noise σ ${sd.toFixed(3)} K for NETD 0.3 K`);
  // Corners read cooler than the centre by the vignetting (here −0.8 K), beyond the noise.
  const centre = frame.celsius.filter((_c, j) => Math.abs((j % 80) - 40) < 8 && Math.abs(Math.floor(j / 80) - 30) < 6);
  const corners = frame.celsius.filter((_c, j) => ((j % 80) < 8 || (j % 80) >= 72) && (Math.floor(j / 80) < 6 || Math.floor(j / 80) >= 54));
  const avg = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(avg(centre) - avg(corners) > 0.4, `centre ${avg(centre).toFixed(2)} vs corners ${avg(corners).toFixed(2)} °C`);
});
