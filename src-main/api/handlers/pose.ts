/**
 * The Pose screen's services: a loaded depth or thermal file is checked, kept in the app's data folder under
 * a fresh id and shown back in false colour; a classification re-reads the stored frames and runs the int8
 * pose model, naming any modality it had to do without. Frame errors name the file the person chose, never
 * the stored copy.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDepthPng, type DepthFrame } from '../../frames/depthFrame';
import { FrameError } from '../../frames/frameError';
import { readFrameFile, readFrameManifest } from '../../frames/frameFile';
import { depthColours, thermalColours } from '../../frames/palette';
import { encodeRgbPng } from '../../frames/png16';
import { decodeThermal, type ThermalEncoding, type ThermalFrame } from '../../frames/thermalFrame';
import { classify, type ModalityInput } from '../../infer/classify';
import { absentFrameFill, frameFeaturesFor } from '../../infer/frameInput';
import { InferenceError } from '../../infer/inferenceError';
import { modelSessionCache, type SessionCache } from '../../infer/sessionCache';
import { scanModels, type CatalogEntry } from '../../models/catalog';
import { writeFileAtomic } from '../../storage/atomicFile';
import { ServiceError } from '../dispatch';
import type { PoseResult, poseMethods, UploadedFrame } from '../methods/pose';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

type Role = 'depth' | 'thermal';

/** What is kept beside a stored frame's bytes: enough to decode it again exactly as on upload. */
interface StoredFrameMeta {
  readonly role: Role;
  readonly fileName: string;
  readonly encoding?: ThermalEncoding;
}

/**
 * Preview scales are fixed, so a colour means the same distance or warmth from frame to frame; readings beyond
 * them take the end colour (a radiator saturates to white, as on a thermal camera) and the true range is reported.
 */
const DEPTH_SCALE_MM: readonly [number, number] = [300, 6000];
const THERMAL_SCALE_C: readonly [number, number] = [15, 38];

const dataUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

function decodeFrame(role: Role, bytes: Uint8Array, meta: StoredFrameMeta): DepthFrame | ThermalFrame {
  if (role === 'depth') return decodeDepthPng(bytes, meta.fileName);
  return decodeThermal(bytes, meta.fileName, meta.encoding ? { encoding: meta.encoding } : {});
}

function range(values: ArrayLike<number>, skipZero: boolean): { min: number; max: number; missing: number } {
  let min = Infinity;
  let max = -Infinity;
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (skipZero && v === 0) {
      missing++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max, missing } : { min: 0, max: 0, missing };
}

function describe(frameId: string, meta: StoredFrameMeta, frame: DepthFrame | ThermalFrame): UploadedFrame {
  const strip = (lo: number, hi: number) => Float32Array.from({ length: 256 }, (_, i) => lo + ((hi - lo) * i) / 255);
  if ('mm' in frame) {
    const r = range(frame.mm, true);
    if (r.missing === frame.mm.length) throw new FrameError(meta.fileName, 'out-of-range', 'depth frame has no readings at all (every pixel is 0 mm)');
    const [near, far] = DEPTH_SCALE_MM;
    return {
      frameId,
      role: 'depth',
      fileName: meta.fileName,
      width: frame.width,
      height: frame.height,
      unit: 'mm',
      min: r.min,
      max: r.max,
      missingFraction: r.missing / frame.mm.length,
      preview: {
        image: dataUrl(encodeRgbPng(frame.width, frame.height, depthColours(frame.mm, near, far))),
        scale: dataUrl(encodeRgbPng(256, 1, depthColours(strip(near, far), near, far))),
        scaleMin: near / 1000,
        scaleMax: far / 1000,
        scaleUnit: 'm',
        scaleLabel: 'distance',
      },
    };
  }
  const r = range(frame.celsius, false);
  const [cold, warm] = THERMAL_SCALE_C;
  return {
    frameId,
    role: 'thermal',
    fileName: meta.fileName,
    width: frame.width,
    height: frame.height,
    unit: 'celsius',
    min: Math.round(r.min * 100) / 100,
    max: Math.round(r.max * 100) / 100,
    preview: {
      image: dataUrl(encodeRgbPng(frame.width, frame.height, thermalColours(frame.celsius, cold, warm))),
      scale: dataUrl(encodeRgbPng(256, 1, thermalColours(strip(cold, warm), cold, warm))),
      scaleMin: cold,
      scaleMax: warm,
      scaleUnit: '°C',
      scaleLabel: 'temperature',
    },
  };
}

export function createPoseHandlers(ctx: ServiceContext, sessionFor: SessionCache = modelSessionCache()): GroupHandlers<typeof poseMethods> {
  // Patient frames stay in the app's own data folder, like recorded audio.
  const frameDir = join(ctx.paths.dataDir, 'pose', 'frames');
  const bytesPath = (id: string) => join(frameDir, `${id}.bin`);
  const metaPath = (id: string) => join(frameDir, `${id}.json`);

  const loadStored = async (id: string, role: Role, field: string): Promise<{ meta: StoredFrameMeta; frame: DepthFrame | ThermalFrame }> => {
    if (!existsSync(metaPath(id))) throw new ServiceError(`field '${field}': no ${role} frame with id ${id} (load the file again)`, 'not_found');
    // The stored copies are read like any frame (regular files, no links, capped), so a damaged data folder
    // cannot make a classification read a device or a huge file; the error names the frame, not the copy.
    const storedCopy = async <T>(read: () => Promise<T>, name: string): Promise<T> => {
      try {
        return await read();
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        throw new ServiceError(`field '${field}': the app's copy of ${name} cannot be read (${e.detail}); load the file again`);
      }
    };
    const meta = JSON.parse(await storedCopy(() => readFrameManifest(metaPath(id), { insideFolder: true }), `frame ${id}`)) as StoredFrameMeta;
    if (meta.role !== role) throw new ServiceError(`field '${field}': frame ${id} (${meta.fileName}) was loaded as a ${meta.role} frame, not ${role}`);
    const bytes = await storedCopy(() => readFrameFile(bytesPath(id), { insideFolder: true }), meta.fileName);
    return { meta, frame: decodeFrame(role, bytes, meta) };
  };

  const findModel = async (id: string): Promise<CatalogEntry> => {
    const { models } = await scanModels([
      { dir: ctx.paths.bundledModelsDir, source: 'bundled' },
      { dir: ctx.paths.userModelsDir, source: 'user' },
    ]);
    const found = models.find((m) => m.meta.id === id);
    if (!found) throw new ServiceError(`field 'modelId': no model with id '${id}'`, 'not_found');
    if (found.meta.task.kind !== 'pose') throw new ServiceError(`field 'modelId': '${id}' is a ${found.meta.task.kind} model, not a pose model`);
    return found;
  };


  return {
    'pose.uploadFrame': async ({ role, fileName, base64, thermalRangeC }) => {
      const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
      const encoding: ThermalEncoding | undefined = role === 'thermal' && thermalRangeC ? { kind: 'png8', ...thermalRangeC } : undefined;
      const meta: StoredFrameMeta = { role, fileName, ...(encoding ? { encoding } : {}) };
      const frameId = randomUUID();
      let described: UploadedFrame;
      try {
        described = describe(frameId, meta, decodeFrame(role, bytes, meta));
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        // The library's hint names its own option object; here the request field is what can be given.
        if (e.reason === 'bit-depth' && role === 'thermal' && !thermalRangeC && /^8-bit|: 8-bit/.test(e.message)) {
          throw new ServiceError(`${fileName}: 8-bit thermal PNG has no temperatures of its own; say which temperatures its black and white stand for (field 'thermalRangeC') or load the camera's 16-bit centi-kelvin export`);
        }
        throw new ServiceError(e.message);
      }
      writeFileAtomic(bytesPath(frameId), bytes);
      writeFileAtomic(metaPath(frameId), JSON.stringify(meta));
      return described;
    },

    'pose.classify': async ({ modelId, depthFrameId, thermalFrameId }): Promise<PoseResult> => {
      const entry = await findModel(modelId);
      const ids: Partial<Record<Role, string>> = { depth: depthFrameId, thermal: thermalFrameId };
      const frames: Record<string, string> = {};
      const problems = new Map<string, string>();
      const inputs: ModalityInput[] = [];
      for (const m of entry.meta.modalities) {
        if (m.kind !== 'depth' && m.kind !== 'thermal') throw new ServiceError(`model '${modelId}' takes a ${m.kind} input, which the Pose screen cannot supply`);
        const fill = absentFrameFill(m);
        const id = ids[m.kind];
        if (!id) {
          problems.set(m.name, `no ${m.kind} frame was loaded`);
          inputs.push({ features: undefined, fill });
          continue;
        }
        try {
          const { meta, frame } = await loadStored(id, m.kind, `${m.kind}FrameId`);
          inputs.push({ features: frameFeaturesFor(m, frame, meta.fileName), fill });
          frames[m.name] = meta.fileName;
        } catch (e) {
          // A frame that decoded on upload but does not fit this model (e.g. another aspect ratio) is left out, named.
          if (!(e instanceof FrameError)) throw e;
          problems.set(m.name, e.message);
          inputs.push({ features: undefined, fill });
        }
      }
      try {
        const c = await classify(await sessionFor(entry), inputs);
        return {
          label: c.label,
          labels: [...c.labels],
          probabilities: Object.fromEntries(c.labels.map((l, i) => [l, c.probabilities[i]!])),
          confidence: c.probabilities[c.labelIndex]!,
          contributions: { ...c.contributions },
          missing: c.missing.map((modality) => ({ modality, reason: problems.get(modality) ?? `no ${modality} frame` })),
          frames,
          model: c.model,
          latencyMs: c.latencyMs,
        };
      } catch (e) {
        if (e instanceof InferenceError) {
          const why = [...problems.values()].join('; ');
          throw new ServiceError(why && e.code === 'missing_modality' ? `no usable frame: ${why}` : e.message);
        }
        throw e;
      }
    },
  };
}
