import type { DepthFrame } from '../frames/depthFrame';
import type { Rng } from './random';
import type { RayImage, Scene } from './scene';

/** How an indoor depth camera (stereo or ToF, RealSense/Kinect-class) degrades the true distances. */
export interface DepthSensorParams {
  /** Readings outside [minMm, maxMm] come back as 0 ("no reading"). */
  readonly minMm: number;
  readonly maxMm: number;
  /** Noise σ in mm at 1 m; stereo error grows with the square of distance, so σ(z) = k·z². */
  readonly noiseMmAt1m: number;
  /** Disparity quantization: the depth step is max(1 mm, q·z²) with z in metres. */
  readonly quantMmAt1m: number;
  /** Chance a pixel just behind a depth edge is invalidated (the sensor's flying-pixel filter). */
  readonly edgeDropFar: number;
  /** Same for the pixel just in front of the edge. */
  readonly edgeDropNear: number;
  /** Surfaces seen more obliquely than this |cos| rarely return a reading. */
  readonly grazingCos: number;
  /** Random blob-shaped holes (IR interference, specular spots). */
  readonly holes: number;
}

export function drawDepthSensor(rng: Rng): DepthSensorParams {
  return {
    minMm: 300,
    // Stereo/ToF modules differ in how far they still report; the far wall of a big room may be beyond it.
    maxMm: Math.round(rng.uniform(6000, 8000)),
    noiseMmAt1m: rng.uniform(1, 4),
    quantMmAt1m: rng.uniform(0.5, 2),
    edgeDropFar: rng.uniform(0.5, 0.85),
    edgeDropNear: rng.uniform(0.1, 0.3),
    grazingCos: rng.uniform(0.08, 0.18),
    holes: rng.int(4),
  };
}

/** The largest depth jump (metres) between neighbours that still counts as one surface at distance z. */
function edgeThreshold(z: number): number {
  return Math.max(0.06, 0.04 * z);
}

/** Turns ray-cast distances into what the sensor writes: noisy, quantized, in mm, 0 where it has no reading. */
export function senseDepth(rays: RayImage, scene: Scene, p: DepthSensorParams, rng: Rng): DepthFrame {
  const { width: w, height: h, z } = rays;
  const mm = new Uint16Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const zi = z[i]!;
      // Edge pixels mix foreground and background in a real sensor; vendors' filters drop them.
      let far = false, near = false;
      const thr = edgeThreshold(zi);
      for (let k = 0; k < 4; k++) {
        const j = k === 0 ? (x > 0 ? i - 1 : -1) : k === 1 ? (x < w - 1 ? i + 1 : -1) : k === 2 ? (y > 0 ? i - w : -1) : y < h - 1 ? i + w : -1;
        if (j < 0) continue;
        const d = zi - z[j]!;
        if (d > thr) far = true;
        else if (-d > thr) near = true;
      }
      const surface = scene.surfaces[rays.surface[i]!]!;
      const drop =
        (far && rng.chance(p.edgeDropFar)) ||
        (near && rng.chance(p.edgeDropNear)) ||
        (rays.cosine[i]! < p.grazingCos && rng.chance(0.7)) ||
        rng.chance(surface.dropout);
      if (drop) continue;
      const noisy = zi * 1000 + rng.normal(0, p.noiseMmAt1m * zi * zi);
      const step = Math.max(1, p.quantMmAt1m * zi * zi);
      const q = Math.round(Math.round(noisy / step) * step);
      if (q >= p.minMm && q <= p.maxMm) mm[i] = q;
    }
  }
  for (let k = 0; k < p.holes; k++) {
    const cx = rng.uniform(0, w), cy = rng.uniform(0, h);
    const rx = rng.uniform(1.5, 6) * (w / 160), ry = rng.uniform(1.5, 6) * (w / 160);
    for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(h - 1, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(w - 1, Math.ceil(cx + rx)); x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) mm[y * w + x] = 0;
      }
    }
  }
  return { width: w, height: h, mm };
}
