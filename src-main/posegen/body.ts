import { chain, type Mat3, offset, rotX, rotY, rotZ, type Vec3 } from './rotation';
import type { Subject } from './subject';

/** Joint angles in radians, relative to the parent segment (a relaxed upright stance is all zeros). */
export interface LimbAngles {
  /** Swing forward (arms: raise in front; legs: lift the thigh). */
  readonly flex: number;
  /** Swing outward, away from the body's midline. */
  readonly abduct: number;
  /** Elbow or knee bend. */
  readonly bend: number;
}

export interface Posture {
  /** Forward bend of the trunk at the hips. */
  readonly spinePitch: number;
  /** Sideways lean of the trunk. */
  readonly spineRoll: number;
  readonly spineTwist: number;
  readonly headPitch: number;
  readonly headYaw: number;
  readonly leftArm: LimbAngles;
  readonly rightArm: LimbAngles;
  readonly leftLeg: LimbAngles;
  readonly rightLeg: LimbAngles;
}

export type BodyPart = 'scalp' | 'face' | 'neck' | 'chest' | 'trunk' | 'belly' | 'pelvis' | 'upperArm' | 'forearm' | 'hand' | 'thigh' | 'shin' | 'foot';

export interface Capsule {
  readonly a: Vec3;
  readonly b: Vec3;
  readonly r: number;
  readonly part: BodyPart;
}

/**
 * Articulated body as capsules (limbs, trunk) and degenerate capsules (a = b: head, hands), posed by
 * forward kinematics from the pelvis. `root` turns the body frame (x left, y up, z forward) into the
 * world; the pelvis sits at the origin and the caller places it in the room.
 */
export function buildBody(subject: Subject, posture: Posture, root: Mat3): Capsule[] {
  const s = subject.heightM / 1.75;
  const g = subject.build;
  const cloth = subject.clo * 0.012; // bulk of the clothing layer, metres
  const out: Capsule[] = [];
  const cap = (a: Vec3, b: Vec3, r: number, part: BodyPart) => out.push({ a, b, r, part });

  const pelvis: Vec3 = [0, 0, 0];
  const trunk = chain(root, rotX(posture.spinePitch), rotZ(posture.spineRoll), rotY(posture.spineTwist));
  const neckBase = offset(pelvis, trunk, [0, 0.5 * s, 0]);

  // Trunk: two side-by-side capsules give a torso wider than it is deep, which one capsule cannot.
  const tr = 0.085 * s * g + cloth;
  for (const side of [-1, 1]) cap(offset(pelvis, trunk, [side * 0.06 * s * g, 0.1 * s, 0]), offset(pelvis, trunk, [side * 0.07 * s * g, 0.4 * s, 0]), tr, 'trunk');
  cap(offset(pelvis, trunk, [-0.14 * s * g, 0.4 * s, -0.005]), offset(pelvis, trunk, [0.14 * s * g, 0.4 * s, -0.005]), 0.075 * s * g + cloth, 'chest');
  cap(offset(pelvis, root, [-0.09 * s * g, 0.02 * s, -0.01]), offset(pelvis, root, [0.09 * s * g, 0.02 * s, -0.01]), 0.1 * s * g + cloth, 'pelvis');
  if (g > 1.05) cap(offset(pelvis, trunk, [0, 0.17 * s, 0.05 * (g - 1) * s]), offset(pelvis, trunk, [0, 0.17 * s, 0.05 * (g - 1) * s]), 0.085 * s * g + cloth, 'belly');

  const head = chain(trunk, rotX(posture.headPitch), rotY(posture.headYaw));
  const neckTop = offset(neckBase, head, [0, 0.09 * s, 0.01 * s]);
  cap(neckBase, neckTop, 0.05 * s * Math.sqrt(g), 'neck');
  const headR = 0.092 * s ** 0.6; // heads grow slower than bodies: children are top-heavy
  cap(offset(neckTop, head, [0, 0.1 * s, -0.01 * s]), offset(neckTop, head, [0, 0.11 * s, -0.012 * s]), headR, 'scalp');
  cap(offset(neckTop, head, [0, 0.045 * s, 0.045 * s]), offset(neckTop, head, [0, 0.06 * s, 0.045 * s]), 0.07 * s ** 0.6, 'face');

  for (const [side, arm] of [[1, posture.leftArm], [-1, posture.rightArm]] as const) {
    const shoulder = offset(neckBase, trunk, [side * 0.18 * s * Math.sqrt(g), -0.06 * s, -0.01]);
    const upper = chain(trunk, rotZ(side * arm.abduct), rotX(-arm.flex));
    const elbow = offset(shoulder, upper, [0, -0.3 * s, 0]);
    const fore = chain(upper, rotX(-arm.bend));
    const wrist = offset(elbow, fore, [0, -0.25 * s, 0]);
    const hand = offset(wrist, fore, [0, -0.07 * s, 0]);
    cap(shoulder, elbow, 0.046 * s * g + cloth, 'upperArm');
    cap(elbow, wrist, 0.036 * s * g + (subject.sleeves === 'long' ? cloth : 0), 'forearm');
    cap(wrist, hand, 0.033 * s, 'hand');
  }

  for (const [side, leg] of [[1, posture.leftLeg], [-1, posture.rightLeg]] as const) {
    const hip = offset(pelvis, root, [side * 0.09 * s * g, -0.02 * s, 0]);
    const thigh = chain(root, rotZ(side * leg.abduct), rotX(-leg.flex));
    const knee = offset(hip, thigh, [0, -0.43 * s, 0]);
    const shinRot = chain(thigh, rotX(leg.bend));
    const ankle = offset(knee, shinRot, [0, -0.42 * s, 0]);
    // The foot stays roughly at right angles to the shin.
    const toe = offset(ankle, shinRot, [0, -0.05 * s, 0.19 * s]);
    cap(hip, knee, 0.075 * s * g + cloth, 'thigh');
    cap(knee, ankle, 0.05 * s * g + (subject.legwear === 'trousers' ? cloth : 0), 'shin');
    cap(offset(ankle, shinRot, [0, -0.02 * s, -0.02 * s]), toe, 0.04 * s, 'foot');
  }
  return out;
}

/** Lowest point of the body (y), for standing it on the floor or laying it on a mattress. */
export function lowestY(body: readonly Capsule[]): number {
  let lo = Infinity;
  for (const c of body) lo = Math.min(lo, c.a[1] - c.r, c.b[1] - c.r);
  return lo;
}

export function translate(body: readonly Capsule[], d: Vec3): Capsule[] {
  return body.map((c) => ({ ...c, a: [c.a[0] + d[0], c.a[1] + d[1], c.a[2] + d[2]], b: [c.b[0] + d[0], c.b[1] + d[1], c.b[2] + d[2]] }));
}

