import { buildBody, type Capsule, type LimbAngles, lowestY, type Posture, translate } from './body';
import { cross } from './camera';
import type { PoseClass } from './poseClass';
import type { Rng } from './random';
import { type Box, freeFloorSpot, type Room } from './room';
import { chain, type Mat3, rotX, rotY, type Vec3 } from './rotation';
import type { Subject } from './subject';

/** A subject posed for one class and placed in the room, with what it rests on (for the manifest). */
export interface PosedPerson {
  readonly label: PoseClass;
  /** Which family of the class was drawn, e.g. 'supine-bed' or 'slumped'; lets analyses split by it. */
  readonly variant: string;
  readonly support: 'floor' | 'chair' | 'bed-edge' | 'bed';
  readonly posture: Posture;
  readonly capsules: Capsule[];
  /** Pelvis position in the room, metres. */
  readonly pelvis: Vec3;
  /** A blanket over someone in bed: scenery, not body, so it is kept apart from `capsules`. */
  readonly cover?: Cover;
}

/** A blanket: a flat sheet over the mattress plus a drape that follows the covered limbs a few cm out. */
export interface Cover {
  readonly sheet: Box;
  readonly drape: readonly Capsule[];
}

/** People stand at least this far from the camera wall, so a standing body fits a tilted view. */
export const MIN_DISTANCE_FROM_CAMERA_WALL = 1.6;
/** …and on the floor within this distance of it: a monitoring camera is placed to cover where people are. */
export const MAX_DISTANCE_FROM_CAMERA_WALL = 4.2;

const limb = (flex: number, abduct: number, bend: number): LimbAngles => ({ flex, abduct, bend });

/**
 * Draws a posture for `label` from that class's joint-angle distributions and places the body:
 * standing/bending/hands raised on a free floor spot, sitting on one of the room's seats, lying on
 * the bed (mostly) or the floor, fallen on the floor in an asymmetric, non-bed pose.
 */
export function posePerson(rng: Rng, label: PoseClass, subject: Subject, room: Room): PosedPerson {
  return keepInside(drawPose(rng, label, subject, room), room);
}

/** Shifts a body whose outstretched limbs would poke through a wall back into the room. */
function keepInside(p: PosedPerson, room: Room): PosedPerson {
  const margin = 0.02;
  let x0 = Infinity, x1 = -Infinity, z0 = Infinity, z1 = -Infinity;
  for (const c of p.capsules) {
    x0 = Math.min(x0, c.a[0] - c.r, c.b[0] - c.r);
    x1 = Math.max(x1, c.a[0] + c.r, c.b[0] + c.r);
    z0 = Math.min(z0, c.a[2] - c.r, c.b[2] - c.r);
    z1 = Math.max(z1, c.a[2] + c.r, c.b[2] + c.r);
  }
  const shift = (lo: number, hi: number, half: number) => (lo < -half + margin ? -half + margin - lo : hi > half - margin ? half - margin - hi : 0);
  const dx = shift(x0, x1, room.width / 2), dz = shift(z0, z1, room.depth / 2);
  if (dx === 0 && dz === 0) return p;
  // The blanket's sheet lies on the bed and stays there; its drape moves with the body.
  const cover = p.cover && { sheet: p.cover.sheet, drape: translate(p.cover.drape, [dx, 0, dz]) };
  return { ...p, capsules: translate(p.capsules, [dx, 0, dz]), pelvis: [p.pelvis[0] + dx, p.pelvis[1], p.pelvis[2] + dz], cover };
}

function drawPose(rng: Rng, label: PoseClass, subject: Subject, room: Room): PosedPerson {
  switch (label) {
    case 'standing':
      return standOnFloor(rng, label, subject, room, standingPosture(rng));
    case 'hands_raised':
      return standOnFloor(rng, label, subject, room, handsRaisedPosture(rng));
    case 'bending':
      return standOnFloor(rng, label, subject, room, bendingPosture(rng));
    case 'sitting':
      return sit(rng, subject, room);
    case 'lying':
      return rng.chance(0.72) ? lieOnBed(rng, subject, room) : lieOnFloor(rng, subject, room, 'lying');
    case 'fallen':
      return rng.chance(0.7) ? lieOnFloor(rng, subject, room, 'fallen') : slumpOnFloor(rng, subject, room);
  }
}

function standingLegs(rng: Rng): [LimbAngles, LimbAngles] {
  if (rng.chance(0.25)) {
    // Mid-stride or weight on one leg.
    const f = rng.uniform(0.15, 0.35);
    return [limb(f, rng.uniform(0, 0.08), rng.uniform(0, 0.2)), limb(-f * rng.uniform(0.5, 1), rng.uniform(0, 0.08), rng.uniform(0, 0.15))];
  }
  const leg = () => limb(rng.uniform(-0.05, 0.1), rng.uniform(0, 0.14), rng.uniform(0, 0.12));
  return [leg(), leg()];
}

function uprightTrunk(rng: Rng): Pick<Posture, 'spinePitch' | 'spineRoll' | 'spineTwist' | 'headPitch' | 'headYaw'> {
  return { spinePitch: rng.normal(0.03, 0.05), spineRoll: rng.normal(0, 0.04), spineTwist: rng.normal(0, 0.12), headPitch: rng.normal(0.05, 0.12), headYaw: rng.normal(0, 0.35) };
}

function standingPosture(rng: Rng): { posture: Posture; variant: string } {
  const [leftLeg, rightLeg] = standingLegs(rng);
  const down = () => limb(rng.uniform(-0.15, 0.3), rng.uniform(0.03, 0.25), rng.uniform(0, 0.5));
  const variant = rng.weighted([['arms-down', 5], ['hands-front', 2], ['phone', 1.5], ['arms-crossed', 1]] as const);
  let leftArm = down(), rightArm = down();
  if (variant === 'hands-front') {
    leftArm = limb(rng.uniform(0.2, 0.7), rng.uniform(0, 0.15), rng.uniform(0.9, 1.7));
    rightArm = limb(rng.uniform(0.2, 0.7), rng.uniform(0, 0.15), rng.uniform(0.9, 1.7));
  } else if (variant === 'phone') {
    // One hand at the ear or in front of the face: still well below the top of the head.
    const phone = limb(rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.4), rng.uniform(2.0, 2.4));
    if (rng.chance(0.5)) leftArm = phone;
    else rightArm = phone;
  } else if (variant === 'arms-crossed') {
    leftArm = limb(rng.uniform(0.3, 0.6), rng.uniform(-0.35, -0.15), rng.uniform(1.6, 2.0));
    rightArm = limb(rng.uniform(0.3, 0.6), rng.uniform(-0.35, -0.15), rng.uniform(1.6, 2.0));
  }
  return { posture: { ...uprightTrunk(rng), leftArm, rightArm, leftLeg, rightLeg }, variant };
}

function handsRaisedPosture(rng: Rng): { posture: Posture; variant: string } {
  const [leftLeg, rightLeg] = standingLegs(rng);
  const variant = rng.weighted([['overhead', 3], ['wide', 2]] as const);
  const arm = () =>
    variant === 'overhead' ? limb(rng.uniform(2.65, 3.05), rng.uniform(0, 0.3), rng.uniform(0, 0.35)) : limb(rng.uniform(-0.1, 0.3), rng.uniform(2.5, 2.95), rng.uniform(0, 0.25));
  return { posture: { ...uprightTrunk(rng), headPitch: rng.uniform(-0.35, 0.1), leftArm: arm(), rightArm: arm(), leftLeg, rightLeg }, variant };
}

function bendingPosture(rng: Rng): { posture: Posture; variant: string } {
  const spinePitch = rng.uniform(0.9, 1.55);
  const squat = rng.chance(0.35);
  const leg = () => {
    const f = squat ? rng.uniform(0.25, 0.6) : rng.uniform(-0.05, 0.12);
    return limb(f, rng.uniform(0, 0.15), squat ? f * rng.uniform(1.4, 2) : rng.uniform(0, 0.15));
  };
  // Arms hang towards the floor: forward flex in the trunk's frame roughly cancels the trunk's pitch.
  const arm = () => limb(spinePitch * rng.uniform(0.75, 1.25), rng.uniform(0, 0.2), rng.uniform(0, 0.6));
  return {
    posture: { spinePitch, spineRoll: rng.normal(0, 0.08), spineTwist: rng.normal(0, 0.2), headPitch: rng.uniform(-0.7, 0.2), headYaw: rng.normal(0, 0.3), leftArm: arm(), rightArm: arm(), leftLeg: leg(), rightLeg: leg() },
    variant: squat ? 'squat-bend' : 'hip-bend',
  };
}

function standOnFloor(rng: Rng, label: PoseClass, subject: Subject, room: Room, drawn: { posture: Posture; variant: string }): PosedPerson {
  const body = buildBody(subject, drawn.posture, rotY(rng.uniform(0, 2 * Math.PI)));
  const [x, z] = floorSpot(rng, room, 0.4);
  const d: Vec3 = [x, -lowestY(body), z];
  return { label, variant: drawn.variant, support: 'floor', posture: drawn.posture, capsules: translate(body, d), pelvis: d };
}

function sit(rng: Rng, subject: Subject, room: Room): PosedPerson {
  const seat = rng.chance(0.65) ? room.seats.find((s) => s.kind === 'chair') ?? room.seats[0]! : room.seats.find((s) => s.kind === 'bed-edge') ?? room.seats[0]!;
  const legFlex = rng.uniform(1.3, 1.7);
  const leg = () => limb(legFlex + rng.normal(0, 0.08), rng.uniform(0, 0.3), rng.uniform(1.25, 1.85));
  const variant = rng.weighted([['hands-lap', 4], ['hand-forward', 2], ['arms-down', 1.5]] as const);
  const arm = () =>
    variant === 'hands-lap' ? limb(rng.uniform(0.4, 0.9), rng.uniform(0, 0.15), rng.uniform(0.5, 1.2))
    : variant === 'hand-forward' ? limb(rng.uniform(0.8, 1.4), rng.uniform(0, 0.2), rng.uniform(0.2, 0.9))
    : limb(rng.uniform(-0.1, 0.2), rng.uniform(0.05, 0.3), rng.uniform(0, 0.4));
  const posture: Posture = {
    spinePitch: rng.uniform(-0.2, 0.35),
    spineRoll: rng.normal(0, 0.06),
    spineTwist: rng.normal(0, 0.15),
    headPitch: rng.uniform(-0.1, 0.4),
    headYaw: rng.normal(0, 0.35),
    leftArm: arm(),
    rightArm: arm(),
    leftLeg: leg(),
    rightLeg: leg(),
  };
  const yaw = Math.atan2(seat.facing[0], seat.facing[2]) + rng.normal(0, 0.12);
  const body = buildBody(subject, posture, rotY(yaw));
  // Seat the buttocks (pelvis and thighs), not the feet, on the seat top; sit a little back from its centre.
  const bottom = lowestY(body.filter((c) => c.part === 'pelvis' || c.part === 'thigh'));
  const back = rng.uniform(0.02, 0.1);
  const d: Vec3 = [seat.centre[0] - seat.facing[0] * back, seat.centre[1] - bottom, seat.centre[2] - seat.facing[2] * back];
  return { label: 'sitting', variant: `${variant}-${seat.kind}`, support: seat.kind, posture, capsules: translate(body, d), pelvis: d };
}

/** Rotation taking the body's up axis (head direction) to `head` and its front to `front`. */
function basis(head: Vec3, front: Vec3): Mat3 {
  const x = cross(head, front);
  return [x[0], head[0], front[0], x[1], head[1], front[1], x[2], head[2], front[2]];
}

type Facing = 'supine' | 'prone' | 'side-left' | 'side-right';

/** Front direction for a body lying along `head` (horizontal): up, down, or sideways. */
function frontFor(facing: Facing, head: Vec3): Vec3 {
  if (facing === 'supine') return [0, 1, 0];
  if (facing === 'prone') return [0, -1, 0];
  const side: Vec3 = [-head[2], 0, head[0]];
  return facing === 'side-left' ? side : [-side[0], 0, -side[2]];
}

/**
 * Limb angles for a lying body. Lying supine/prone, abduction moves a limb within the floor plane
 * and flexion lifts it; on the side it is the other way round, so each facing draws its own ranges
 * and limbs never point into the floor (which would prop the body up on them).
 */
function lyingPosture(rng: Rng, facing: Facing, awkward: boolean): Posture {
  const sideways = facing === 'side-left' || facing === 'side-right';
  const sign = () => (rng.chance(0.5) ? 1 : -1);
  let leftArm: LimbAngles, rightArm: LimbAngles, leftLeg: LimbAngles, rightLeg: LimbAngles;
  if (sideways) {
    const arm = () => limb(rng.uniform(awkward ? -0.8 : 0.2, awkward ? 2.6 : 1.6), rng.uniform(0, 0.1), rng.uniform(0, awkward ? 1.8 : 1.4));
    const curl = rng.uniform(0.1, awkward ? 1.4 : 1.1);
    const leg = () => limb(awkward ? rng.uniform(-0.4, 1.3) : curl + rng.normal(0, 0.15), rng.uniform(0, 0.12), rng.uniform(0, awkward ? 1.8 : 1.3) * (awkward ? 1 : curl));
    [leftArm, rightArm, leftLeg, rightLeg] = [arm(), arm(), leg(), leg()];
  } else {
    const lift = facing === 'supine' ? 1 : -1;
    if (awkward) {
      // One arm flung overhead, the other out; legs apart, one knee often bent.
      const over = limb(lift * rng.uniform(0, 0.3), rng.uniform(1.5, 2.9), rng.uniform(0, 1.2));
      const out = limb(lift * rng.uniform(0, 0.4), rng.uniform(0.4, 1.4), rng.uniform(0, 1.6));
      [leftArm, rightArm] = rng.chance(0.5) ? [over, out] : [out, over];
      const straight = limb(lift * rng.uniform(0, 0.15), rng.uniform(0.1, 0.6), rng.uniform(0, 0.3));
      const kf = rng.uniform(0.3, 1.0);
      const bent = facing === 'supine' ? limb(kf, rng.uniform(0.1, 0.8), kf * rng.uniform(1.6, 2.2)) : limb(-rng.uniform(0, 0.2), rng.uniform(0.2, 0.8), rng.uniform(0.2, 1.2));
      [leftLeg, rightLeg] = rng.chance(0.5) ? [straight, bent] : [bent, straight];
    } else {
      const arm = () => (rng.chance(0.2) ? limb(lift * rng.uniform(0, 0.2), rng.uniform(2.4, 3.0), rng.uniform(0, 0.5)) : limb(lift * rng.uniform(0, 0.25), rng.uniform(0.05, 0.45), rng.uniform(0, 0.6)));
      const leg = () => (facing === 'supine' && rng.chance(0.2) ? ((f) => limb(f, rng.uniform(0, 0.15), 2 * f))(rng.uniform(0.5, 0.9)) : limb(lift * rng.uniform(0, 0.08), rng.uniform(0, 0.18), rng.uniform(0, 0.15)));
      [leftArm, rightArm, leftLeg, rightLeg] = [arm(), arm(), leg(), leg()];
    }
  }
  return {
    // On the back or front, spinePitch raises the chest (pillow) and roll bends sideways in the floor plane.
    spinePitch: sideways ? rng.uniform(0, awkward ? 0.6 : 0.45) : facing === 'supine' ? rng.uniform(0, 0.15) : -rng.uniform(0, 0.08),
    spineRoll: awkward ? sign() * rng.uniform(0.15, 0.5) : rng.normal(0, 0.05),
    spineTwist: awkward ? rng.uniform(-0.6, 0.6) : rng.normal(0, 0.08),
    headPitch: rng.uniform(-0.2, 0.3),
    headYaw: awkward ? rng.uniform(-1.1, 1.1) : rng.normal(0, 0.4),
    leftArm,
    rightArm,
    leftLeg,
    rightLeg,
  };
}

function drawFacing(rng: Rng, awkward: boolean): Facing {
  return rng.weighted<Facing>(awkward ? [['supine', 3], ['prone', 3], ['side-left', 2], ['side-right', 2]] : [['supine', 5], ['prone', 1.5], ['side-left', 1.75], ['side-right', 1.75]]);
}

function lieOnBed(rng: Rng, subject: Subject, room: Room): PosedPerson {
  const drawn = drawFacing(rng, false);
  // On the side, people on a wall-side bed face the room, not the wall (frontFor: side-left faces −x).
  const facing: Facing = drawn === 'side-left' || drawn === 'side-right' ? (room.bed.side > 0 ? 'side-left' : 'side-right') : drawn;
  const posture0 = lyingPosture(rng, facing, false);
  // Head on the pillow: the chest is propped up a little more than on a floor.
  const posture = facing === 'supine' ? { ...posture0, spinePitch: rng.uniform(0.08, 0.3) } : posture0;
  const head: Vec3 = [0, 0, 1];
  const body = buildBody(subject, posture, basis(head, frontFor(facing, head)));
  const bed = room.bed;
  const s = subject.heightM / 1.75;
  const x = (bed.min[0] + bed.max[0]) / 2 + rng.uniform(-0.12, 0.12) * (bed.max[0] - bed.min[0]);
  const z = bed.max[2] - 0.3 - 0.72 * s + rng.uniform(-0.1, 0.05);
  // Rest the trunk on the mattress; a bent knee or a raised arm may stick up, the pillow may hide the head.
  const rest = lowestY(body.filter((c) => c.part === 'pelvis' || c.part === 'trunk' || c.part === 'chest'));
  const d: Vec3 = [x, bed.mattressTop - rest - 0.03, z];
  const capsules = translate(body, d);
  if (!rng.chance(0.35)) return { label: 'lying', variant: `${facing}-bed`, support: 'bed', posture, capsules, pelvis: d };
  // Under a blanket from the foot end to the waist or chest: in depth a soft hump over the legs, in
  // thermal the body's heat shows only faintly through it (the blanket warms a few kelvin above the room).
  const upTo = d[2] + rng.uniform(0.1, 0.4) * s;
  const drape: Capsule[] = [];
  for (const c of capsules) {
    if (c.part === 'scalp' || c.part === 'face' || c.part === 'neck') continue;
    const [lo, hi] = c.a[2] <= c.b[2] ? [c.a, c.b] : [c.b, c.a];
    if (lo[2] >= upTo) continue;
    // Clip the covered part of the segment at the blanket's edge.
    const t = hi[2] > upTo ? (upTo - lo[2]) / (hi[2] - lo[2]) : 1;
    const end: Vec3 = [lo[0] + t * (hi[0] - lo[0]), lo[1] + t * (hi[1] - lo[1]), lo[2] + t * (hi[2] - lo[2])];
    drape.push({ a: lo, b: end, r: c.r + 0.035, part: c.part });
  }
  const blanket = { kind: 'bedding' as const, tempC: room.ambientC + rng.uniform(1.5, 5), dropout: 0.02 };
  const sheet: Box = { min: [bed.min[0] + 0.03, bed.mattressTop - 0.05, bed.min[2] + 0.05], max: [bed.max[0] - 0.03, bed.mattressTop + 0.04, upTo], surface: blanket };
  const cover: Cover = { sheet, drape };
  return { label: 'lying', variant: `${facing}-bed-covered`, support: 'bed', posture, capsules, pelvis: d, cover };
}

function floorSpot(rng: Rng, room: Room, radius: number): readonly [number, number] {
  const zMin = -room.depth / 2 + MIN_DISTANCE_FROM_CAMERA_WALL;
  const zMax = -room.depth / 2 + MAX_DISTANCE_FROM_CAMERA_WALL;
  return freeFloorSpot(rng, room, radius, zMin, zMax) ?? freeFloorSpot(rng, room, radius * 0.7, zMin - 0.3) ?? [0, zMin + 0.5];
}

function lieOnFloor(rng: Rng, subject: Subject, room: Room, label: 'lying' | 'fallen'): PosedPerson {
  const awkward = label === 'fallen';
  const facing = drawFacing(rng, awkward);
  const posture = lyingPosture(rng, facing, awkward);
  const a = rng.uniform(0, 2 * Math.PI);
  const head: Vec3 = [Math.cos(a), 0, Math.sin(a)];
  const body = buildBody(subject, posture, basis(head, frontFor(facing, head)));
  const [x, z] = floorSpot(rng, room, 0.95 * (subject.heightM / 1.75));
  // Centre the body's footprint (not its pelvis) on the free spot.
  let cx = 0, cz = 0;
  for (const c of body) {
    cx += c.a[0] + c.b[0];
    cz += c.a[2] + c.b[2];
  }
  cx /= 2 * body.length;
  cz /= 2 * body.length;
  const d: Vec3 = [x - cx, -lowestY(body), z - cz];
  return { label, variant: `${facing}-floor`, support: 'floor', posture, capsules: translate(body, d), pelvis: d };
}

/** Collapsed sitting on the floor, legs out, trunk sagging back or sideways, head dropped. */
function slumpOnFloor(rng: Rng, subject: Subject, room: Room): PosedPerson {
  // Thigh raised θ above horizontal and the knee bent by about 2θ keeps the foot on the floor.
  const leg = () => ((t) => limb(Math.PI / 2 + t, rng.uniform(0.1, 0.55), 2 * t * rng.uniform(0.9, 1.1)))(rng.uniform(0, 0.6));
  const arm = () => limb(rng.uniform(-0.4, 0.5), rng.uniform(0.2, 1.0), rng.uniform(0, 0.9));
  const sideways = rng.chance(0.5);
  const posture: Posture = {
    spinePitch: sideways ? rng.uniform(-0.3, 0.3) : rng.uniform(-1.0, -0.45),
    spineRoll: sideways ? (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.5, 0.9) : rng.normal(0, 0.15),
    spineTwist: rng.normal(0, 0.25),
    headPitch: rng.uniform(0.2, 0.7),
    headYaw: rng.uniform(-0.8, 0.8),
    leftArm: arm(),
    rightArm: arm(),
    leftLeg: leg(),
    rightLeg: leg(),
  };
  const body = buildBody(subject, posture, chain(rotY(rng.uniform(0, 2 * Math.PI)), rotX(rng.normal(0, 0.1))));
  const [x, z] = floorSpot(rng, room, 0.7);
  const d: Vec3 = [x, -lowestY(body), z];
  return { label: 'fallen', variant: 'slumped', support: 'floor', posture, capsules: translate(body, d), pelvis: d };
}
