import type { Vec3 } from './rotation';

/** A wall-mounted pinhole camera: where it is, where it looks, and how wide it sees. */
export interface Camera {
  readonly position: Vec3;
  /** Heading about the vertical axis; 0 looks along +z (into the room from the camera wall). */
  readonly yaw: number;
  /** Downward tilt, radians (positive looks down). */
  readonly pitch: number;
  readonly roll: number;
  /** Horizontal field of view, degrees; pixels are square, so the vertical one follows from the aspect. */
  readonly hfovDeg: number;
  readonly width: number;
  readonly height: number;
}

/** The camera's axes in world coordinates plus its intrinsics, precomputed for ray generation and projection. */
export interface CameraFrame {
  readonly origin: Vec3;
  readonly forward: Vec3;
  readonly right: Vec3;
  /** Image "up" (image rows grow downwards, so rows step along −up). */
  readonly up: Vec3;
  readonly fx: number;
  readonly cx: number;
  readonly cy: number;
  readonly width: number;
  readonly height: number;
}

export function cameraFrame(c: Camera): CameraFrame {
  const cp = Math.cos(c.pitch), sp = Math.sin(c.pitch);
  const forward: Vec3 = [Math.sin(c.yaw) * cp, -sp, Math.cos(c.yaw) * cp];
  // right = forward × worldUp, up = right × forward; then roll both about the optical axis.
  const r0 = normalize([-forward[2], 0, forward[0]]);
  const u0 = cross(r0, forward);
  const cr = Math.cos(c.roll), sr = Math.sin(c.roll);
  const right: Vec3 = [r0[0] * cr + u0[0] * sr, r0[1] * cr + u0[1] * sr, r0[2] * cr + u0[2] * sr];
  const up: Vec3 = [u0[0] * cr - r0[0] * sr, u0[1] * cr - r0[1] * sr, u0[2] * cr - r0[2] * sr];
  return {
    origin: c.position,
    forward,
    right,
    up,
    fx: c.width / 2 / Math.tan((c.hfovDeg * Math.PI) / 360),
    cx: c.width / 2,
    cy: c.height / 2,
    width: c.width,
    height: c.height,
  };
}

/** World point → [column, row, depth along the optical axis]; depth ≤ 0 means behind the camera. */
export function project(f: CameraFrame, p: Vec3): [number, number, number] {
  const dx = p[0] - f.origin[0], dy = p[1] - f.origin[1], dz = p[2] - f.origin[2];
  const z = dx * f.forward[0] + dy * f.forward[1] + dz * f.forward[2];
  const x = dx * f.right[0] + dy * f.right[1] + dz * f.right[2];
  const y = dx * f.up[0] + dy * f.up[1] + dz * f.up[2];
  return [f.cx + (f.fx * x) / z, f.cy - (f.fx * y) / z, z];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
