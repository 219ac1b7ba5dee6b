import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Capsule } from '../../src-main/posegen/body';
import { POSE_CLASSES, type PoseClass } from '../../src-main/posegen/poseClass';
import { posePerson, type PosedPerson } from '../../src-main/posegen/posing';
import { Rng } from '../../src-main/posegen/random';
import { furnishRoom, type Room } from '../../src-main/posegen/room';
import { makeSubjects } from '../../src-main/posegen/subject';

const DRAWS = 60;
const subjects = makeSubjects(11, 12);

function draws(label: PoseClass): { person: PosedPerson; heightM: number; seatTops: number[]; mattressTop: number; room: Room }[] {
  return Array.from({ length: DRAWS }, (_, i) => {
    const room = furnishRoom(new Rng('room', 5, label, i));
    const subject = subjects[i % subjects.length]!;
    return { person: posePerson(new Rng('pose', 5, label, i), label, subject, room), heightM: subject.heightM, seatTops: room.seats.map((s) => s.centre[1]), mattressTop: room.bed.mattressTop, room };
  });
}

const top = (body: readonly Capsule[]) => Math.max(...body.map((c) => Math.max(c.a[1], c.b[1]) + c.r));
const bottom = (body: readonly Capsule[]) => Math.min(...body.map((c) => Math.min(c.a[1], c.b[1]) - c.r));
const part = (body: readonly Capsule[], p: Capsule['part']) => body.filter((c) => c.part === p);
/** Angle of the trunk's axis from vertical, radians. */
function trunkTilt(body: readonly Capsule[]): number {
  const t = part(body, 'trunk')[0]!;
  const v = [t.b[0] - t.a[0], t.b[1] - t.a[1], t.b[2] - t.a[2]];
  return Math.acos(v[1]! / Math.hypot(v[0]!, v[1]!, v[2]!));
}
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const byClass = Object.fromEntries(POSE_CLASSES.map((c) => [c, draws(c)])) as Record<PoseClass, ReturnType<typeof draws>>;

test('every pose stands on something: nothing sinks more than 3 cm into the floor, everything is inside the room', () => {
  for (const c of POSE_CLASSES) {
    for (const { person, room } of byClass[c]) {
      assert.ok(bottom(person.capsules) > -0.03, `${c}/${person.variant}: lowest point ${bottom(person.capsules).toFixed(3)} m`);
      assert.equal(person.label, c);
      for (const cap of person.capsules) {
        for (const p of [cap.a, cap.b]) {
          assert.ok(Math.abs(p[0]) < room.width / 2 + 0.1 && Math.abs(p[2]) < room.depth / 2 + 0.1, `${c}/${person.variant}: ${cap.part} at (${p[0].toFixed(2)}, ${p[2].toFixed(2)}) outside the ${room.width.toFixed(2)}×${room.depth.toFixed(2)} m room`);
        }
      }
    }
  }
});

test('standing: the top of the head is at the subject height; lying and fallen bodies are far lower', () => {
  for (const { person, heightM } of byClass.standing) {
    const ratio = top(person.capsules) / heightM;
    assert.ok(ratio > 0.93 && ratio < 1.05, `standing top/height ${ratio.toFixed(3)}`);
    assert.ok(trunkTilt(person.capsules) < 0.35, 'standing trunk is upright');
  }
  const standingTop = mean(byClass.standing.map((d) => top(d.person.capsules)));
  // Above what they rest on, lying bodies rise only by their own thickness (a big side-lying shoulder,
  // a bent knee); a fallen person is on the floor, at most slumped sitting (crown ≤ ~0.52 × 2 m).
  for (const { person, mattressTop } of byClass.lying) {
    const rise = top(person.capsules) - (person.support === 'bed' ? mattressTop : 0);
    assert.ok(rise < 0.7, `lying/${person.variant}: highest point ${rise.toFixed(2)} m above its support`);
  }
  for (const { person } of byClass.fallen) assert.ok(top(person.capsules) < 1.1, `fallen/${person.variant}: highest point ${top(person.capsules).toFixed(2)} m`);
  for (const c of ['lying', 'fallen'] as const) {
    const meanTop = mean(byClass[c].map((d) => top(d.person.capsules)));
    assert.ok(meanTop < 0.5 * standingTop, `${c}: mean highest point ${meanTop.toFixed(2)} m vs standing ${standingTop.toFixed(2)} m`);
  }
  // Lying is horizontal (on the bed or the floor); fallen includes slumped sitting, so only most are.
  for (const { person } of byClass.lying) assert.ok(trunkTilt(person.capsules) > 1.0, `lying/${person.variant}: trunk tilt ${trunkTilt(person.capsules).toFixed(2)} rad`);
  assert.ok(byClass.fallen.filter((d) => trunkTilt(d.person.capsules) > 1.0).length > DRAWS * 0.5);
  assert.ok(byClass.lying.some((d) => d.person.support === 'bed') && byClass.lying.some((d) => d.person.support === 'floor'), 'lying covers bed and floor');
  assert.ok(byClass.fallen.every((d) => d.person.support === 'floor'), 'fallen is always on the floor');
});

test('lying on the bed rests on the mattress', () => {
  for (const { person, mattressTop } of byClass.lying.filter((d) => d.person.support === 'bed')) {
    const pelvisBottom = bottom(part(person.capsules, 'pelvis'));
    assert.ok(Math.abs(pelvisBottom - mattressTop) < 0.12, `pelvis bottom ${pelvisBottom.toFixed(2)} vs mattress ${mattressTop.toFixed(2)}`);
  }
});

test('sitting: buttocks on a seat, thighs near horizontal, head lower than standing', () => {
  for (const { person, heightM, seatTops } of byClass.sitting) {
    const b = bottom([...part(person.capsules, 'pelvis'), ...part(person.capsules, 'thigh')]);
    assert.ok(seatTops.some((s) => Math.abs(s - b) < 0.01), `seat contact at ${b.toFixed(3)} m, seats at ${seatTops.map((s) => s.toFixed(2)).join(', ')}`);
    for (const t of part(person.capsules, 'thigh')) {
      const drop = Math.abs(t.a[1] - t.b[1]) / Math.hypot(t.a[0] - t.b[0], t.a[1] - t.b[1], t.a[2] - t.b[2]);
      assert.ok(drop < 0.5, `thigh slope ${drop.toFixed(2)}`);
    }
    // Sitting height (seat to crown) is about half the standing height.
    const ratio = (top(person.capsules) - b) / heightM;
    assert.ok(ratio > 0.35 && ratio < 0.62, `sitting seat-to-crown/height ${ratio.toFixed(2)}`);
  }
});

test('bending: trunk pitched well forward, head below standing height', () => {
  for (const { person, heightM } of byClass.bending) {
    assert.ok(trunkTilt(person.capsules) > 0.8, `bending trunk tilt ${trunkTilt(person.capsules).toFixed(2)} rad`);
    const head = part(person.capsules, 'scalp')[0]!;
    assert.ok(head.a[1] < 0.85 * heightM, `bending head at ${head.a[1].toFixed(2)} m for a ${heightM.toFixed(2)} m subject`);
  }
});

test('hands raised: both hands above the top of the head; in other standing poses they are not', () => {
  for (const c of ['hands_raised', 'standing'] as const) {
    for (const { person } of byClass[c]) {
      const scalp = part(person.capsules, 'scalp')[0]!;
      const headTop = Math.max(scalp.a[1], scalp.b[1]) + scalp.r;
      const hands = part(person.capsules, 'hand').map((h) => Math.max(h.a[1], h.b[1]));
      assert.equal(hands.length, 2);
      if (c === 'hands_raised') assert.ok(hands.every((y) => y > headTop), `${person.variant}: hands at ${hands.map((y) => y.toFixed(2))} m, head top ${headTop.toFixed(2)} m`);
      else assert.ok(hands.every((y) => y < headTop - 0.05), `standing/${person.variant}: hands at ${hands.map((y) => y.toFixed(2))} m, head top ${headTop.toFixed(2)} m`);
    }
  }
});
