import type { Capsule } from './body';
import { cameraFrame, project, type Camera } from './camera';
import type { Room, Surface } from './room';
import type { Vec3 } from './rotation';

/** Everything a ray can hit, flattened into typed arrays so the inner loop does no allocation. */
export interface Scene {
  readonly room: Room;
  readonly surfaces: readonly Surface[];
  /** 7 numbers per capsule: a, b, radius. */
  readonly capsules: Float64Array;
  readonly capsuleSurface: Int32Array;
  /** 6 numbers per box: min, max. */
  readonly boxes: Float64Array;
  readonly boxSurface: Int32Array;
  readonly shell: { readonly floor: number; readonly wall: number; readonly ceiling: number; readonly window: number };
}

/** One ray per pixel: distance along the optical axis (metres), what was hit, and how squarely. */
export interface RayImage {
  readonly width: number;
  readonly height: number;
  readonly z: Float32Array;
  /** Index into scene.surfaces. Every ray hits something: the room is closed. */
  readonly surface: Int32Array;
  /** |cos| of the angle between ray and surface normal: near 0 at grazing incidence (limb outlines). */
  readonly cosine: Float32Array;
  /** Height of the hit point above the floor (warm air stratifies, so walls read warmer higher up). */
  readonly worldY: Float32Array;
}

export interface SceneBody {
  readonly capsule: Capsule;
  readonly surface: Surface;
}

export function buildScene(room: Room, body: readonly SceneBody[]): Scene {
  const surfaces: Surface[] = [];
  const index = new Map<Surface, number>();
  const idOf = (s: Surface) => {
    let i = index.get(s);
    if (i === undefined) {
      i = surfaces.length;
      surfaces.push(s);
      index.set(s, i);
    }
    return i;
  };
  const shell = { floor: idOf(room.floor), wall: idOf(room.wall), ceiling: idOf(room.ceiling), window: idOf(room.window.surface) };
  const boxes = new Float64Array(room.boxes.length * 6);
  const boxSurface = new Int32Array(room.boxes.length);
  room.boxes.forEach((b, i) => {
    boxes.set([...b.min, ...b.max], i * 6);
    boxSurface[i] = idOf(b.surface);
  });
  const capsules = new Float64Array(body.length * 7);
  const capsuleSurface = new Int32Array(body.length);
  body.forEach(({ capsule: c, surface }, i) => {
    capsules.set([...c.a, ...c.b, c.r], i * 7);
    capsuleSurface[i] = idOf(surface);
  });
  return { room, surfaces, capsules, capsuleSurface, boxes, boxSurface, shell };
}

const TILE = 8;

/**
 * Casts one ray through every pixel centre. Primitives are binned into 8×8-pixel tiles by their
 * projected bounding box first, so each ray tests only the handful of capsules and boxes that can
 * cover its tile instead of the whole scene; the room shell is one analytic exit test.
 */
export function castRays(scene: Scene, camera: Camera): RayImage {
  const f = cameraFrame(camera);
  const { width: w, height: h } = camera;
  const tilesX = Math.ceil(w / TILE), tilesY = Math.ceil(h / TILE);
  const bins: number[][] = Array.from({ length: tilesX * tilesY }, () => []);
  const nCaps = scene.capsuleSurface.length;
  const bin = (id: number, min: Vec3, max: Vec3) => {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, behind = 0;
    for (let k = 0; k < 8; k++) {
      const p: Vec3 = [k & 1 ? max[0] : min[0], k & 2 ? max[1] : min[1], k & 4 ? max[2] : min[2]];
      const [px, py, pz] = project(f, p);
      if (pz < 0.02) {
        behind++;
        continue;
      }
      x0 = Math.min(x0, px);
      x1 = Math.max(x1, px);
      y0 = Math.min(y0, py);
      y1 = Math.max(y1, py);
    }
    // Wholly behind the camera: no forward ray can reach it. Partly behind: its projection is
    // unbounded, so it covers the whole image.
    if (behind === 8) return;
    if (behind > 0) {
      x0 = y0 = -Infinity;
      x1 = y1 = Infinity;
    }
    const tx0 = Math.max(0, Math.floor(x0 / TILE)), tx1 = Math.min(tilesX - 1, Math.floor(x1 / TILE));
    const ty0 = Math.max(0, Math.floor(y0 / TILE)), ty1 = Math.min(tilesY - 1, Math.floor(y1 / TILE));
    for (let ty = ty0; ty <= ty1; ty++) for (let tx = tx0; tx <= tx1; tx++) bins[ty * tilesX + tx]!.push(id);
  };
  const cs = scene.capsules;
  for (let i = 0; i < nCaps; i++) {
    const o = i * 7, r = cs[o + 6]!;
    bin(i, [Math.min(cs[o]!, cs[o + 3]!) - r, Math.min(cs[o + 1]!, cs[o + 4]!) - r, Math.min(cs[o + 2]!, cs[o + 5]!) - r], [Math.max(cs[o]!, cs[o + 3]!) + r, Math.max(cs[o + 1]!, cs[o + 4]!) + r, Math.max(cs[o + 2]!, cs[o + 5]!) + r]);
  }
  const bx = scene.boxes;
  for (let i = 0; i < scene.boxSurface.length; i++) {
    const o = i * 6;
    bin(nCaps + i, [bx[o]!, bx[o + 1]!, bx[o + 2]!], [bx[o + 3]!, bx[o + 4]!, bx[o + 5]!]);
  }

  const out: RayImage = { width: w, height: h, z: new Float32Array(w * h), surface: new Int32Array(w * h), cosine: new Float32Array(w * h), worldY: new Float32Array(w * h) };
  const [ox, oy, oz] = f.origin;
  const room = scene.room;
  const rx0 = -room.width / 2, rx1 = room.width / 2, rz0 = -room.depth / 2, rz1 = room.depth / 2, ry1 = room.height;
  const win = room.window;
  for (let py = 0; py < h; py++) {
    const v = -(py + 0.5 - f.cy) / f.fx;
    for (let px = 0; px < w; px++) {
      const u = (px + 0.5 - f.cx) / f.fx;
      let dx = f.forward[0] + u * f.right[0] + v * f.up[0];
      let dy = f.forward[1] + u * f.right[1] + v * f.up[1];
      let dz = f.forward[2] + u * f.right[2] + v * f.up[2];
      const len = Math.sqrt(dx * dx + dy * dy + dz * dz);
      dx /= len;
      dy /= len;
      dz /= len;

      // Room shell: the nearest face the ray leaves through.
      let best = Infinity, surf = scene.shell.wall, nx = 0, ny = 0, nz = 0;
      if (dx !== 0) {
        const t = ((dx > 0 ? rx1 : rx0) - ox) / dx;
        if (t < best) { best = t; nx = 1; ny = 0; nz = 0; surf = scene.shell.wall; }
      }
      if (dy !== 0) {
        const t = ((dy > 0 ? ry1 : 0) - oy) / dy;
        if (t < best) { best = t; nx = 0; ny = 1; nz = 0; surf = dy > 0 ? scene.shell.ceiling : scene.shell.floor; }
      }
      if (dz !== 0) {
        const t = ((dz > 0 ? rz1 : rz0) - oz) / dz;
        if (t < best) {
          best = t; nx = 0; ny = 0; nz = 1; surf = scene.shell.wall;
          if (dz > 0) {
            const hx = ox + t * dx, hy = oy + t * dy;
            if (hx > win.x0 && hx < win.x1 && hy > win.y0 && hy < win.y1) surf = scene.shell.window;
          }
        }
      }

      let hitCap = -1;
      const list = bins[((py / TILE) | 0) * tilesX + ((px / TILE) | 0)]!;
      for (let k = 0; k < list.length; k++) {
        const id = list[k]!;
        if (id < nCaps) {
          const t = capsuleHit(cs, id * 7, ox, oy, oz, dx, dy, dz);
          if (t > 0 && t < best) { best = t; hitCap = id; surf = scene.capsuleSurface[id]!; }
        } else {
          const o = (id - nCaps) * 6;
          // Slab test; the axis of the last entry gives the face normal.
          let t0 = -Infinity, t1 = Infinity, axis = 0;
          for (let a = 0; a < 3; a++) {
            const oa = a === 0 ? ox : a === 1 ? oy : oz;
            const da = a === 0 ? dx : a === 1 ? dy : dz;
            const inv = 1 / da;
            let ta = (bx[o + a]! - oa) * inv, tb = (bx[o + 3 + a]! - oa) * inv;
            if (ta > tb) { const s = ta; ta = tb; tb = s; }
            if (ta > t0) { t0 = ta; axis = a; }
            if (tb < t1) t1 = tb;
          }
          if (t0 <= t1 && t0 > 0 && t0 < best) {
            best = t0; hitCap = -1; surf = scene.boxSurface[id - nCaps]!;
            nx = axis === 0 ? 1 : 0; ny = axis === 1 ? 1 : 0; nz = axis === 2 ? 1 : 0;
          }
        }
      }
      if (hitCap >= 0) {
        // Capsule normal: from the closest point on the segment to the hit point.
        const o = hitCap * 7;
        const hx = ox + best * dx, hy = oy + best * dy, hz = oz + best * dz;
        const bax = cs[o + 3]! - cs[o]!, bay = cs[o + 4]! - cs[o + 1]!, baz = cs[o + 5]! - cs[o + 2]!;
        const baba = bax * bax + bay * bay + baz * baz;
        const s = baba > 0 ? Math.max(0, Math.min(1, ((hx - cs[o]!) * bax + (hy - cs[o + 1]!) * bay + (hz - cs[o + 2]!) * baz) / baba)) : 0;
        nx = hx - cs[o]! - s * bax;
        ny = hy - cs[o + 1]! - s * bay;
        nz = hz - cs[o + 2]! - s * baz;
        const nl = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
        nx /= nl; ny /= nl; nz /= nl;
      }
      const i = py * w + px;
      // t is along the unit ray; depth cameras report distance along the optical axis.
      out.z[i] = best / len;
      out.surface[i] = surf;
      out.cosine[i] = Math.abs(nx * dx + ny * dy + nz * dz);
      out.worldY[i] = oy + best * dy;
    }
  }
  return out;
}

/** Ray–capsule intersection for a unit direction (after Inigo Quilez); −1 on a miss. */
function capsuleHit(c: Float64Array, o: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  const ax = c[o]!, ay = c[o + 1]!, az = c[o + 2]!, r = c[o + 6]!;
  const bax = c[o + 3]! - ax, bay = c[o + 4]! - ay, baz = c[o + 5]! - az;
  const oax = ox - ax, oay = oy - ay, oaz = oz - az;
  const baba = bax * bax + bay * bay + baz * baz;
  const bard = bax * dx + bay * dy + baz * dz;
  const baoa = bax * oax + bay * oay + baz * oaz;
  const rdoa = dx * oax + dy * oay + dz * oaz;
  const oaoa = oax * oax + oay * oay + oaz * oaz;
  const a = baba - bard * bard;
  if (a > 1e-12 * (baba + 1e-12)) {
    const b = baba * rdoa - baoa * bard;
    const cc = baba * oaoa - baoa * baoa - r * r * baba;
    const hh = b * b - a * cc;
    if (hh < 0) return -1;
    const t = (-b - Math.sqrt(hh)) / a;
    const y = baoa + t * bard;
    if (y > 0 && y < baba) return t;
    // Outside the cylinder part: the hit, if any, is on the end sphere on that side.
    return y <= 0 ? sphereHit(oax, oay, oaz, dx, dy, dz, r) : sphereHit(ox - c[o + 3]!, oy - c[o + 4]!, oz - c[o + 5]!, dx, dy, dz, r);
  }
  // Degenerate (a sphere) or a ray along the axis: only the end spheres can be hit first.
  const t1 = sphereHit(oax, oay, oaz, dx, dy, dz, r);
  const t2 = sphereHit(ox - c[o + 3]!, oy - c[o + 4]!, oz - c[o + 5]!, dx, dy, dz, r);
  return t1 < 0 ? t2 : t2 < 0 ? t1 : Math.min(t1, t2);
}

function sphereHit(ocx: number, ocy: number, ocz: number, dx: number, dy: number, dz: number, r: number): number {
  const b = dx * ocx + dy * ocy + dz * ocz;
  const c = ocx * ocx + ocy * ocy + ocz * ocz - r * r;
  const h = b * b - c;
  if (h < 0) return -1;
  return -b - Math.sqrt(h);
}
