import type { ThermalFrame } from '../frames/thermalFrame';
import type { Rng } from './random';
import type { RayImage, Scene } from './scene';

/** How a low-resolution thermopile/microbolometer array (MLX90640, Lepton) degrades the true scene. */
export interface ThermalSensorParams {
  /** Noise-equivalent temperature difference: per-pixel, per-frame noise σ in kelvin. */
  readonly netdK: number;
  /** Whole-frame offset (absolute accuracy drifts with the sensor's own temperature). */
  readonly offsetC: number;
  /** Slow ambient drift across the array: linear gradient, kelvin from the left edge to the right / top to bottom. */
  readonly driftXC: number;
  readonly driftYC: number;
  /** Corners read this much warmer (positive) or cooler than the centre: lens and housing vignetting. */
  readonly vignetteC: number;
  /** Share of each pixel's signal spilled to each of its 4 neighbours: the optics' blur beyond pixel binning. */
  readonly crosstalk: number;
  /** σ of the per-pixel fixed-pattern offset left after calibration. */
  readonly fixedPatternK: number;
}

/** Sensor character depends on its class: 32-wide arrays behave like an MLX90640, wider ones like a Lepton. */
export function drawThermalSensor(rng: Rng, width: number): ThermalSensorParams {
  const thermopile = width <= 40;
  return {
    netdK: thermopile ? rng.uniform(0.15, 0.5) : rng.uniform(0.1, 0.2),
    offsetC: rng.normal(0, thermopile ? 0.6 : 0.4),
    driftXC: rng.normal(0, 0.25),
    driftYC: rng.normal(0, 0.25),
    vignetteC: rng.uniform(-0.9, 0.5),
    crosstalk: thermopile ? rng.uniform(0.05, 0.12) : rng.uniform(0.02, 0.06),
    fixedPatternK: thermopile ? rng.uniform(0.05, 0.2) : rng.uniform(0.02, 0.08),
  };
}

/** Height at which the room's wall temperature equals its nominal value. */
const STRATIFICATION_REFERENCE_M = 1.2;

/**
 * Apparent temperature along each ray. Walls and ceiling follow the room's vertical stratification;
 * emissivity falls at grazing angles, so outlines of limbs blend towards the reflected room.
 */
export function apparentTemperatures(rays: RayImage, scene: Scene): Float32Array {
  const out = new Float32Array(rays.z.length);
  const { ambientC, stratificationCPerM } = scene.room;
  for (let i = 0; i < out.length; i++) {
    const sid = rays.surface[i]!;
    const s = scene.surfaces[sid]!;
    let t = s.tempC;
    if (s.kind === 'wall' || s.kind === 'ceiling' || s.kind === 'window') t += stratificationCPerM * (rays.worldY[i]! - STRATIFICATION_REFERENCE_M);
    const grazing = 1 - rays.cosine[i]!;
    const emissivity = 1 - grazing ** 4;
    out[i] = ambientC + (t - ambientC) * emissivity;
  }
  return out;
}

/** Averages factor×factor blocks: each sensor pixel integrates all radiation falling on its area. */
export function areaAverage(values: Float32Array, width: number, height: number, factor: number): Float32Array {
  const w = Math.floor(width / factor), h = Math.floor(height / factor);
  const out = new Float32Array(w * h);
  const n = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += values[row + dx]!;
      }
      out[y * w + x] = sum / n;
    }
  }
  return out;
}

/** Applies optics blur, drift, vignetting, offsets and noise to a binned scene (°C), giving the frame the sensor reports. */
export function senseThermal(scene: Float32Array, width: number, height: number, p: ThermalSensorParams, rng: Rng): ThermalFrame {
  const celsius = new Float32Array(width * height);
  const at = (x: number, y: number) => scene[Math.max(0, Math.min(height - 1, y)) * width + Math.max(0, Math.min(width - 1, x))]!;
  const k = p.crosstalk;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const blurred = (1 - 4 * k) * at(x, y) + k * (at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1));
      const u = (x + 0.5) / width - 0.5, v = (y + 0.5) / height - 0.5;
      const r2 = (u * u + v * v) / 0.5; // 1 at the corners
      celsius[y * width + x] =
        blurred + p.offsetC + p.driftXC * (u + 0.5) + p.driftYC * (v + 0.5) + p.vignetteC * r2 + rng.normal(0, p.fixedPatternK) + rng.normal(0, p.netdK);
    }
  }
  return { width, height, celsius };
}
