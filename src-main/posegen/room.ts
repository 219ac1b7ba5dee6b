import type { Rng } from './random';
import type { Vec3 } from './rotation';

/** What a surface is made of, as far as the two sensors care. */
export type SurfaceKind = 'skin' | 'cloth' | 'hair' | 'shoe' | 'floor' | 'wall' | 'ceiling' | 'window' | 'furniture' | 'bedding' | 'radiator' | 'laptop';

export interface Surface {
  readonly kind: SurfaceKind;
  readonly tempC: number;
  /** Chance a depth camera gets no return: dark hair, glass, glossy metal. */
  readonly dropout: number;
}

export interface Box {
  readonly min: Vec3;
  readonly max: Vec3;
  readonly surface: Surface;
}

/** A place a body can sit: top of the seat, its centre, and the way a sitter faces. */
export interface Seat {
  readonly centre: Vec3;
  readonly facing: Vec3;
  readonly kind: 'chair' | 'bed-edge';
}

export interface Room {
  /** Interior: x ∈ [−width/2, width/2], z ∈ [−depth/2, depth/2], y ∈ [0, height]. The camera wall is z = −depth/2. */
  readonly width: number;
  readonly depth: number;
  readonly height: number;
  readonly ambientC: number;
  /** Warm air rises: walls read warmer higher up, °C per metre. */
  readonly stratificationCPerM: number;
  readonly floor: Surface;
  readonly wall: Surface;
  readonly ceiling: Surface;
  /** Window pane on the far wall (z = +depth/2): x range and y range. */
  readonly window: { readonly x0: number; readonly x1: number; readonly y0: number; readonly y1: number; readonly surface: Surface };
  readonly boxes: Box[];
  readonly bed: { readonly min: Vec3; readonly max: Vec3; readonly mattressTop: number; readonly side: number };
  readonly seats: Seat[];
}

/**
 * A furnished bedroom/living room: bed against one side wall, table, chair and maybe a laptop on the
 * other, radiator under a window on the far wall, and a cabinet or two. Furniture is axis-aligned
 * boxes; the only thing the model may use from it is what a real room offers (height above floor).
 */
export function furnishRoom(rng: Rng): Room {
  const width = rng.uniform(3.6, 5.5);
  const depth = rng.uniform(4.2, 6);
  const height = rng.uniform(2.5, 3);
  const ambientC = rng.uniform(18, 26);
  const surf = (kind: SurfaceKind, tempC: number, dropout = 0.01): Surface => ({ kind, tempC, dropout });
  const boxes: Box[] = [];
  const box = (min: Vec3, max: Vec3, s: Surface) => boxes.push({ min, max, surface: s });
  const furniture = surf('furniture', ambientC + rng.normal(0, 0.3));

  // Bed along z against the side wall `side`, head end (headboard, pillow) towards the far wall.
  const side = rng.chance(0.5) ? 1 : -1;
  const bw = rng.uniform(0.9, 1.6);
  const bl = rng.uniform(1.95, 2.1);
  const bz1 = depth / 2 - rng.uniform(0, 1);
  const bz0 = bz1 - bl;
  const bx0 = side > 0 ? width / 2 - bw : -width / 2;
  const bx1 = bx0 + bw;
  const mattressTop = rng.uniform(0.42, 0.62);
  const bedding = surf('bedding', ambientC + rng.uniform(0, 1));
  box([bx0, 0, bz0], [bx1, mattressTop - 0.18, bz1], furniture);
  box([bx0 + 0.02, mattressTop - 0.18, bz0 + 0.02], [bx1 - 0.02, mattressTop, bz1 - 0.02], bedding);
  box([bx0 + 0.1, mattressTop, bz1 - 0.55], [bx1 - 0.1, mattressTop + rng.uniform(0.07, 0.14), bz1 - 0.1], bedding);
  box([bx0, 0, bz1 - 0.05], [bx1, mattressTop + rng.uniform(0.35, 0.6), bz1], furniture);

  // Table against the other side wall, chair in front of it facing the wall.
  const tw = rng.uniform(0.6, 0.9);
  const tl = rng.uniform(0.9, 1.4);
  const tz0 = rng.uniform(-depth / 2 + 1.6, depth / 2 - tl - 0.1);
  const tx0 = side > 0 ? -width / 2 : -width / 2 + width - tw;
  const tableX0 = side > 0 ? -width / 2 : width / 2 - tw;
  void tx0;
  const th = rng.uniform(0.71, 0.77);
  const tx1 = tableX0 + tw;
  box([tableX0, th - 0.04, tz0], [tx1, th, tz0 + tl], furniture);
  for (const [lx, lz] of [[tableX0, tz0], [tx1 - 0.05, tz0], [tableX0, tz0 + tl - 0.05], [tx1 - 0.05, tz0 + tl - 0.05]] as const) box([lx, 0, lz], [lx + 0.05, th - 0.04, lz + 0.05], furniture);
  if (rng.chance(0.6)) {
    const on = rng.chance(0.7);
    const laptop = surf('laptop', on ? ambientC + rng.uniform(8, 18) : ambientC + rng.uniform(0, 1), 0.5);
    const lx = rng.uniform(tableX0 + 0.05, tx1 - 0.4);
    const lz = rng.uniform(tz0 + 0.05, tz0 + tl - 0.3);
    box([lx, th, lz], [lx + 0.33, th + 0.02, lz + 0.23], laptop);
    const screenAtWall = side > 0 ? lx : lx + 0.32;
    box([screenAtWall, th, lz], [screenAtWall + 0.01, th + 0.23, lz + 0.23], laptop);
  }

  const seats: Seat[] = [];
  const seatH = rng.uniform(0.42, 0.5);
  const facingX = side > 0 ? -1 : 1; // towards the table's wall
  const cx = side > 0 ? tx1 + rng.uniform(0.05, 0.3) : tableX0 - rng.uniform(0.05, 0.3);
  const chairFree = rng.chance(0.3);
  // Sometimes the chair stands away from the table, turned to face the room (and often the camera).
  const chairPos: Vec3 = chairFree ? [rng.uniform(-width / 4, width / 4), seatH, rng.uniform(-depth / 2 + 1.8, depth / 2 - 1)] : [cx, seatH, tz0 + tl / 2 + rng.uniform(-0.3, 0.3)];
  const facing: Vec3 = chairFree ? rng.pick<Vec3>([[0, 0, -1], [1, 0, 0], [-1, 0, 0]]) : [facingX, 0, 0];
  addChair(box, chairPos, facing, furniture);
  seats.push({ centre: chairPos, facing, kind: 'chair' });
  seats.push({ centre: [side > 0 ? bx0 + 0.2 : bx1 - 0.2, mattressTop, rng.uniform(bz0 + 0.5, bz1 - 0.7)], facing: [-side, 0, 0], kind: 'bed-edge' });

  // Window and radiator on the far wall, where the bed and table are not.
  const wx = rng.uniform(-width / 2 + 1.1, width / 2 - 1.1);
  const ww = rng.uniform(0.8, 1.6) / 2;
  const cold = rng.chance(0.8);
  const window = { x0: wx - ww, x1: wx + ww, y0: rng.uniform(0.8, 1.0), y1: rng.uniform(2.0, 2.3), surface: surf('window', cold ? ambientC - rng.uniform(3, 11) : ambientC + rng.uniform(2, 7), 0.7) };
  if (rng.chance(0.75)) {
    const on = rng.chance(0.6);
    const rw = Math.min(ww, 0.6);
    box([wx - rw, 0.12, depth / 2 - 0.1], [wx + rw, 0.12 + rng.uniform(0.45, 0.65), depth / 2], surf('radiator', on ? rng.uniform(38, 65) : ambientC + rng.uniform(0, 2), 0.15));
  }
  // Cabinets: tall, person-sized boxes are exactly what a depth-only model can mistake for someone standing.
  for (let i = rng.int(3); i > 0; i--) {
    const cw = rng.uniform(0.5, 1.1);
    const cd = rng.uniform(0.35, 0.6);
    const ch = rng.uniform(0.8, 2.0);
    const onSide = rng.chance(0.5);
    const cabinet: Box = onSide
      ? (() => {
          const z0 = rng.uniform(-depth / 2 + 0.8, depth / 2 - cw);
          const x0 = side > 0 ? -width / 2 : width / 2 - cd;
          return { min: [x0, 0, z0], max: [x0 + cd, ch, z0 + cw], surface: furniture };
        })()
      : (() => {
          const x0 = rng.uniform(-width / 2, width / 2 - cw);
          return { min: [x0, 0, depth / 2 - cd], max: [x0 + cw, ch, depth / 2], surface: furniture };
        })();
    if (!boxes.some((b) => overlapsXZ(b, cabinet, 0.05))) boxes.push(cabinet);
  }

  const stratificationCPerM = rng.uniform(0.2, 0.8);
  return {
    width,
    depth,
    height,
    ambientC,
    stratificationCPerM,
    floor: surf('floor', ambientC - rng.uniform(0.5, 2), 0.02),
    wall: surf('wall', ambientC + rng.normal(0, 0.3)),
    ceiling: surf('ceiling', ambientC + rng.uniform(0.5, 1.5)),
    window,
    boxes,
    bed: { min: [bx0, 0, bz0], max: [bx1, mattressTop, bz1], mattressTop, side },
    seats,
  };
}

function addChair(box: (min: Vec3, max: Vec3, s: Surface) => void, c: Vec3, facing: Vec3, s: Surface): void {
  const h = 0.22;
  const seatTop = c[1];
  box([c[0] - h, seatTop - 0.05, c[2] - h], [c[0] + h, seatTop, c[2] + h], s);
  for (const dx of [-h, h - 0.04]) for (const dz of [-h, h - 0.04]) box([c[0] + dx, 0, c[2] + dz], [c[0] + dx + 0.04, seatTop - 0.05, c[2] + dz + 0.04], s);
  // Back rest on the side opposite the facing direction.
  const bx = c[0] - facing[0] * h;
  const bz = c[2] - facing[2] * h;
  const along: Vec3 = [Math.abs(facing[2]) * h, 0, Math.abs(facing[0]) * h];
  const thick: Vec3 = [Math.abs(facing[0]) * 0.03, 0, Math.abs(facing[2]) * 0.03];
  box([bx - along[0] - thick[0], seatTop, bz - along[2] - thick[2]], [bx + along[0] + thick[0], seatTop + 0.45, bz + along[2] + thick[2]], s);
}

export function overlapsXZ(a: { min: Vec3; max: Vec3 }, b: { min: Vec3; max: Vec3 }, margin: number): boolean {
  return a.min[0] < b.max[0] + margin && b.min[0] < a.max[0] + margin && a.min[2] < b.max[2] + margin && b.min[2] < a.max[2] + margin;
}

/** A floor spot (x, z) with zMin ≤ z ≤ zMax whose disc of `radius` misses every piece of furniture, or undefined after many tries. */
export function freeFloorSpot(rng: Rng, room: Room, radius: number, zMin: number, zMax = Infinity): readonly [number, number] | undefined {
  for (let i = 0; i < 40; i++) {
    const x = rng.uniform(-room.width / 2 + radius, room.width / 2 - radius);
    const z = rng.uniform(Math.max(zMin, -room.depth / 2 + radius), Math.min(zMax, room.depth / 2 - radius));
    const disc = { min: [x - radius, 0, z - radius] as Vec3, max: [x + radius, 0, z + radius] as Vec3 };
    if (!room.boxes.some((b) => overlapsXZ(b, disc, 0))) return [x, z];
  }
  return undefined;
}
