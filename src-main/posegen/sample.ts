import type { DepthFrame } from '../frames/depthFrame';
import type { ThermalFrame } from '../frames/thermalFrame';
import { dressBody } from './bodyHeat';
import { type Camera, cameraFrame } from './camera';
import { type DepthSensorParams, drawDepthSensor, senseDepth } from './depthSensor';
import type { PoseClass } from './poseClass';
import { posePerson, type PosedPerson } from './posing';
import { Rng } from './random';
import { furnishRoom, type Room } from './room';
import { buildScene, castRays, type Scene } from './scene';
import type { Vec3 } from './rotation';
import type { Subject } from './subject';
import { apparentTemperatures, areaAverage, drawThermalSensor, senseThermal, type ThermalSensorParams } from './thermalSensor';

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

export interface SampleSpec {
  /** Data set seed; with `index` it fixes everything about the sample except the subject's body. */
  readonly seed: number;
  readonly index: number;
  readonly label: PoseClass;
  readonly subject: Subject;
  readonly depthSize: FrameSize;
  readonly thermalSize: FrameSize;
}

/** Everything needed to understand (and, with the code version, regenerate) one sample; JSON-safe. */
export interface SampleParams {
  readonly seed: number;
  readonly index: number;
  readonly label: PoseClass;
  readonly variant: string;
  readonly support: PosedPerson['support'];
  readonly subject: Subject;
  readonly pelvis: readonly number[];
  readonly room: { readonly width: number; readonly depth: number; readonly height: number; readonly ambientC: number };
  readonly depthCamera: Camera;
  readonly thermalCamera: Camera;
  /** Each thermal pixel is the mean of oversample² rays (the sensor's area integration). */
  readonly thermalOversample: number;
  readonly depthSensor: DepthSensorParams;
  readonly thermalSensor: ThermalSensorParams;
}

export interface GeneratedSample {
  readonly params: SampleParams;
  readonly depth: DepthFrame;
  readonly thermal: ThermalFrame;
  readonly person: PosedPerson;
  readonly room: Room;
  readonly scene: Scene;
}

/** Camera mounting: on the near wall (or the side wall across from the bed), 1.2–2.6 m up, aimed at the person. */
export const CAMERA_HEIGHT_RANGE_M: readonly [number, number] = [1.2, 2.6];

/** Thermal rays per sensor pixel side: enough that a limb covering part of a pixel averages in correctly. */
export function thermalOversample(width: number): number {
  return Math.max(2, Math.ceil(128 / width));
}

/**
 * Renders one depth + thermal pair. Each aspect (room, pose, camera, clothing, each sensor's noise)
 * draws from its own seeded stream, so changing how one is drawn does not reshuffle the others.
 */
export function generateSample(spec: SampleSpec): GeneratedSample {
  const { seed, index, label, subject } = spec;
  const room = furnishRoom(new Rng('room', seed, index));
  const person = posePerson(new Rng('pose', seed, index), label, subject, room);
  const body = dressBody(new Rng('dress', seed, index), subject, person.capsules, room.ambientC);
  const cover = person.cover;
  const scene = cover
    ? buildScene({ ...room, boxes: [...room.boxes, cover.sheet] }, [...body, ...cover.drape.map((capsule) => ({ capsule, surface: cover.sheet.surface }))])
    : buildScene(room, body);

  const { depthCamera, thermalCamera } = mountCameras(new Rng('camera', seed, index), scene, person, spec);

  const depthRng = new Rng('depth', seed, index);
  const depthSensor = drawDepthSensor(depthRng);
  const depth = senseDepth(castRays(scene, depthCamera), scene, depthSensor, depthRng);

  const thermalRng = new Rng('thermal', seed, index);
  const thermalSensor = drawThermalSensor(thermalRng, spec.thermalSize.width);
  const os = thermalOversample(spec.thermalSize.width);
  const fine = castRays(scene, { ...thermalCamera, width: spec.thermalSize.width * os, height: spec.thermalSize.height * os });
  const binned = areaAverage(apparentTemperatures(fine, scene), fine.width, fine.height, os);
  const thermal = senseThermal(binned, spec.thermalSize.width, spec.thermalSize.height, thermalSensor, thermalRng);

  const params: SampleParams = {
    seed,
    index,
    label,
    variant: person.variant,
    support: person.support,
    subject,
    pelvis: person.pelvis,
    room: { width: room.width, depth: room.depth, height: room.height, ambientC: room.ambientC },
    depthCamera,
    thermalCamera,
    thermalOversample: os,
    depthSensor,
    thermalSensor,
  };
  return { params, depth, thermal, person, room, scene };
}

/** Share of a coarse probe image that must show the person for a camera mounting to be kept. */
const MIN_VISIBLE_SHARE = 0.01;
const MOUNT_ATTEMPTS = 4;
/** Furniture closer than this to the camera, over more than this share of the view, makes a mounting poor. */
const NEAR_CLUTTER_M = 0.8;
const NEAR_CLUTTER_SHARE = 0.15;

/**
 * Mounts the camera pair on a wall, aimed at the person. A mounting from which furniture hides
 * the person (someone at a desk seen from behind the chair) is redrawn, as an installer would move
 * the camera, keeping the best of a few tries: a sample whose label is invisible only teaches noise.
 */
function mountCameras(cam: Rng, scene: Scene, person: PosedPerson, spec: SampleSpec): { depthCamera: Camera; thermalCamera: Camera } {
  const room = scene.room;
  let tx = 0, ty = 0, tz = 0;
  for (const c of person.capsules) {
    tx += c.a[0] + c.b[0];
    ty += c.a[1] + c.b[1];
    tz += c.a[2] + c.b[2];
  }
  const n = 2 * person.capsules.length;
  [tx, ty, tz] = [tx / n, ty / n, tz / n];
  const personSurfaces = new Set(scene.capsuleSurface);
  let best: { depthCamera: Camera; thermalCamera: Camera; visible: number } | undefined;
  for (let attempt = 0; attempt < MOUNT_ATTEMPTS; attempt++) {
    const height = Math.min(room.height - 0.1, cam.uniform(...CAMERA_HEIGHT_RANGE_M));
    // Mostly on the near wall; sometimes on the side wall across from the bed, for side-on views.
    const onSide = cam.chance(0.3);
    const position: Vec3 = onSide
      ? [-room.bed.side * (room.width / 2 - 0.03), height, cam.uniform(-room.depth / 2 + 0.3, room.depth / 2 - 0.3)]
      : [cam.uniform(-room.width / 2 + 0.2, room.width / 2 - 0.2), height, -room.depth / 2 + 0.03];
    // Aimed at the person but not centred on them: a fixed camera sees people anywhere in its view.
    const yaw = Math.atan2(tx - position[0], tz - position[2]) + cam.normal(0, 0.1);
    const pitch = Math.atan2(height - ty, Math.hypot(tx - position[0], tz - position[2])) + cam.normal(0, 0.06);
    const depthCamera: Camera = { position, yaw, pitch, roll: cam.normal(0, 0.02), hfovDeg: cam.uniform(68, 80), width: spec.depthSize.width, height: spec.depthSize.height };
    // The thermal module sits a few centimetres beside the depth module, not perfectly aligned with it,
    // and its view is narrower: the fusion model gets two differently framed views, as from real hardware.
    const right = cameraFrame(depthCamera).right;
    const baseline = 0.04;
    const thermalCamera: Camera = {
      position: [position[0] + right[0] * baseline, position[1] + right[1] * baseline, position[2] + right[2] * baseline],
      yaw: yaw + cam.normal(0, 0.015),
      pitch: pitch + cam.normal(0, 0.015),
      roll: depthCamera.roll + cam.normal(0, 0.01),
      // MLX90640 "B" and Lepton 3.5 optics both see about 55–57° across, narrower than the depth camera.
      hfovDeg: cam.uniform(50, 60),
      width: spec.thermalSize.width,
      height: spec.thermalSize.height,
    };
    // Not inside a cabinet, and not so close that the person overflows the view.
    const blocked = room.boxes.some((b) => position.every((v, k) => v > b.min[k]! - 0.05 && v < b.max[k]! + 0.05));
    if (blocked || Math.hypot(tx - position[0], tz - position[2]) < 1.3) {
      if (!best) best = { depthCamera, thermalCamera, visible: -1 };
      continue;
    }
    const probe = castRays(scene, { ...depthCamera, width: 40, height: 30 });
    let hits = 0, near = 0;
    for (let i = 0; i < probe.surface.length; i++) {
      if (personSurfaces.has(probe.surface[i]!)) hits++;
      if (probe.z[i]! < NEAR_CLUTTER_M) near++;
    }
    // A mounting right above a desk or beside a cabinet fills the view with furniture: rank it last.
    const visible = near > NEAR_CLUTTER_SHARE * probe.surface.length ? -near / probe.surface.length : hits / probe.surface.length;
    if (!best || visible > best.visible) best = { depthCamera, thermalCamera, visible };
    if (visible >= MIN_VISIBLE_SHARE) break;
  }
  return best!;
}
