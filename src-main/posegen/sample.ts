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

/** Camera mounting: on the wall opposite the far wall, 1.2–2.6 m up, aimed into the room at the person. */
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
  const scene = buildScene(room, body);

  const cam = new Rng('camera', seed, index);
  const height = Math.min(room.height - 0.1, cam.uniform(...CAMERA_HEIGHT_RANGE_M));
  const position = [cam.uniform(-room.width / 2 + 0.2, room.width / 2 - 0.2), height, -room.depth / 2 + 0.03] as const;
  let tx = 0, ty = 0, tz = 0;
  for (const c of person.capsules) {
    tx += c.a[0] + c.b[0];
    ty += c.a[1] + c.b[1];
    tz += c.a[2] + c.b[2];
  }
  const n = 2 * person.capsules.length;
  [tx, ty, tz] = [tx / n, ty / n, tz / n];
  // Aimed at the person but not centred on them: a fixed camera sees people anywhere in its view.
  const yaw = Math.atan2(tx - position[0], tz - position[2]) + cam.normal(0, 0.1);
  const pitch = Math.atan2(height - ty, Math.hypot(tx - position[0], tz - position[2])) + cam.normal(0, 0.06);
  const depthCamera: Camera = { position, yaw, pitch, roll: cam.normal(0, 0.02), hfovDeg: cam.uniform(68, 80), width: spec.depthSize.width, height: spec.depthSize.height };
  // The thermal module sits a few centimetres beside the depth module, not perfectly aligned with it.
  const right = cameraFrame(depthCamera).right;
  const baseline = 0.04;
  const thermalCamera: Camera = {
    position: [position[0] + right[0] * baseline, position[1] + right[1] * baseline, position[2] + right[2] * baseline],
    yaw: yaw + cam.normal(0, 0.015),
    pitch: pitch + cam.normal(0, 0.015),
    roll: depthCamera.roll + cam.normal(0, 0.01),
    hfovDeg: depthCamera.hfovDeg + cam.normal(0, 1),
    width: spec.thermalSize.width,
    height: spec.thermalSize.height,
  };

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
