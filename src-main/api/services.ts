import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { recorderCommand } from '../audio/captureBackend';
import { CaptureError } from '../audio/captureError';
import { MODEL_SAMPLE_RATE } from '../audio/wavImport';
import { InferenceError } from '../infer/inferenceError';
import { modelSessionCache } from '../infer/sessionCache';
import { scanModels, type CatalogEntry } from '../models/catalog';
import { writeFileAtomic } from '../storage/atomicFile';
import { resolveInside } from '../storage/inputFile';
import { CaptureBusyError, LiveTakes } from '../screening/liveTakes';
import { ResultStore } from '../screening/resultStore';
import { screeningFolders } from '../screening/screeningFolders';
import { screenRecordings, type RecordingSource } from '../screening/screenRecordings';
import { sessionReportCsv, sessionReportHtml } from '../screening/sessionReport';
import { TakeNotFoundError, TakeStore } from '../screening/takeStore';
import { requiredBytes } from '../planner/memoryFit';
import { bundledTargets, loadTargets } from '../planner/target';
import type { AppPaths } from '../storage/appPaths';
import type { ScreeningResult } from './contract';
import type { EventBus } from './eventBus';
import { ServiceError, type ServiceHandlers } from './dispatch';
import { exportModelPackage, importModelPackage } from './modelTransfer';
import { createDeviceHandlers } from './handlers/devices';
import { createPoseHandlers } from './handlers/pose';
import { createRetrainHandlers } from './handlers/retrain';
import { lazyLocalStore } from './localStore';

export interface ServiceContext {
  readonly paths: AppPaths;
  readonly transport: 'electron' | 'bridge';
  readonly events: EventBus;
  readonly version: string;
  /** Environment of the microphone recorder (PATH, PULSE_SERVER); the app's own when absent. */
  readonly captureEnv?: NodeJS.ProcessEnv;
  /**
   * Watch the local network for Pi agents (mDNS) once the devices are first listed. The app's own
   * processes turn it on; left off, nothing opens a network socket (tests, scripts, the CLI).
   */
  readonly piDiscovery?: boolean;
}

/** Turns the domain's own failures into words for the person who asked; anything else stays a bug report. */
function asServiceError(e: unknown): unknown {
  if (e instanceof InferenceError || e instanceof CaptureError || e instanceof CaptureBusyError) return new ServiceError(e.message);
  if (e instanceof TakeNotFoundError) return new ServiceError(e.message, 'not_found');
  return e;
}

/** The services behind the API: implemented once, unaware of which transport called them. */
export function createServices(ctx: ServiceContext): ServiceHandlers {
  const catalog = () =>
    scanModels([
      { dir: ctx.paths.bundledModelsDir, source: 'bundled' },
      { dir: ctx.paths.userModelsDir, source: 'user' },
    ]);
  const findModel = async (id: string, field = 'id'): Promise<CatalogEntry> => {
    const found = (await catalog()).models.find((m) => m.meta.id === id);
    if (!found) throw new ServiceError(`field '${field}': no model with id '${id}'`, 'not_found');
    return found;
  };

  // Patient audio and results stay in the app's own data folder.
  const folders = screeningFolders(ctx.paths.dataDir);
  const store = lazyLocalStore(ctx.paths.dataDir);
  const takes = new TakeStore(folders.takes);
  const results = new ResultStore(folders.results);
  const live = new LiveTakes(takes, ctx.events, ctx.captureEnv);

  // One cache of open model sessions for Screen and Pose.
  const sessionFor = modelSessionCache();

  const screen = async (modelId: string, recordings: Record<string, RecordingSource>, field: string, subjectCode: string | undefined): Promise<ScreeningResult> => {
    const entry = await findModel(modelId, 'modelId');
    try {
      const result = await screenRecordings(await sessionFor(entry), { recordings, field, ...(subjectCode ? { subjectCode } : {}) });
      results.save(result);
      return result;
    } catch (e) {
      throw asServiceError(e);
    }
  };

  /** A stored take as a recording for `modality`; the request field is named when it does not fit. */
  const takeSource = async (modality: string, takeId: string): Promise<RecordingSource> => {
    const report = await takes.report(takeId).catch((e: unknown) => {
      throw e instanceof TakeNotFoundError ? new ServiceError(`field 'takes.${modality}': ${e.message}`, 'not_found') : e;
    });
    if (report.modality !== modality) throw new ServiceError(`field 'takes.${modality}': take ${takeId} is a ${report.modality} recording, not ${modality}`);
    return report.problem ? { kind: 'unusable', source: report.source, problem: report.problem, takeId } : { kind: 'file', file: takes.wavPath(takeId), source: report.source, takeId };
  };

  return {
    'app.info': async () => ({
      name: 'TinyM2 Studio',
      version: ctx.version,
      transport: ctx.transport,
      platform: `${process.platform}-${process.arch}`,
      dataDir: ctx.paths.dataDir,
    }),
    'models.list': async () => {
      const { models, problems } = await catalog();
      return { models: models.map((m) => ({ ...m.meta, source: m.source })), problems: [...problems] };
    },
    'models.get': async ({ id }) => {
      const found = (await catalog()).models.find((m) => m.meta.id === id);
      if (!found) throw new ServiceError(`no model with id '${id}'`, 'not_found');
      return { ...found.meta, source: found.source };
    },
    'models.details': async ({ id }) => {
      const entry = await findModel(id);
      const files = Object.entries(entry.meta.files)
        .filter((e): e is [string, string] => e[1] !== undefined)
        .map(([role, name]) => ({ role, name, bytes: statSync(resolveInside(entry.dir, name, `files.${role}`)).size }));
      const { weightBytes, peakActivationBytes, scratchBytes } = entry.meta.memory;
      const needs = { weightBytes, peakActivationBytes, scratchBytes };
      const targetsDir = join(ctx.paths.resourcesDir, 'targets');
      const memory = (existsSync(targetsDir) ? loadTargets(targetsDir) : bundledTargets()).flatMap((t) =>
        t.levels.map((l) => {
          const required = requiredBytes(needs, l);
          return { target: t.id, targetName: t.name, level: l.id, levelName: l.name, holds: [...l.holds], capacityBytes: l.capacityBytes, requiredBytes: required, fits: required <= l.capacityBytes };
        }),
      );
      return { model: { ...entry.meta, source: entry.source }, dir: entry.dir, files, totalBytes: weightBytes + peakActivationBytes + scratchBytes, memory };
    },
    'models.import': async ({ path, replace }) => {
      const out = await importModelPackage(path, ctx.paths.userModelsDir, (await catalog()).models, replace);
      return { model: { ...out.meta, source: 'user' as const }, dir: out.dir, replaced: out.replaced };
    },
    'models.export': async ({ id, destination }) => exportModelPackage(await findModel(id), destination),
    'screen.uploadRecording': async ({ modality, fileName, base64 }) => {
      const bytes = Buffer.from(base64, 'base64');
      return takes.saveUpload(modality, fileName, bytes);
    },
    'screen.takeAudio': async ({ takeId }) => {
      try {
        return { takeId, mime: 'audio/wav' as const, base64: Buffer.from(await takes.audio(takeId)).toString('base64') };
      } catch (e) {
        throw asServiceError(e);
      }
    },
    'screen.classifyFiles': async ({ modelId, recordings, subjectCode }) =>
      screen(modelId, Object.fromEntries(Object.entries(recordings).map(([m, file]) => [m, { kind: 'file' as const, file }])), 'recordings', subjectCode),
    'screen.classifyTakes': async ({ modelId, takes: byModality, subjectCode }) => {
      const recordings: Record<string, RecordingSource> = {};
      for (const [modality, takeId] of Object.entries(byModality)) recordings[modality] = await takeSource(modality, takeId);
      return screen(modelId, recordings, 'takes', subjectCode);
    },
    'screen.exportSession': async ({ screeningId, folder, subjectCode }) => {
      const stored = await results.load(screeningId);
      if (!stored) throw new ServiceError(`field 'screeningId': no screening with id '${screeningId}' on this machine`, 'not_found');
      const r = subjectCode ? { ...stored, subjectCode } : stored;
      const stem = `screening-${r.subjectCode ?? 'anonymous'}-${r.createdAt.slice(0, 19).replace(/[:T]/g, '-')}`;
      const files = [join(folder, `${stem}.html`), join(folder, `${stem}.json`), join(folder, `${stem}.csv`)];
      try {
        writeFileAtomic(files[0]!, sessionReportHtml(r));
        writeFileAtomic(files[1]!, `${JSON.stringify(r, null, 2)}\n`);
        writeFileAtomic(files[2]!, sessionReportCsv(r));
      } catch (e) {
        throw new ServiceError(`field 'folder': cannot write the report into ${folder} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      return { files };
    },
    'capture.status': async () => {
      try {
        const cmd = recorderCommand({ sampleRate: MODEL_SAMPLE_RATE, searchPath: (ctx.captureEnv ?? process.env).PATH ?? '' });
        return { available: true, recorder: cmd.name };
      } catch (e) {
        if (e instanceof CaptureError) return { available: false, reason: e.message };
        throw e;
      }
    },
    'capture.start': async ({ modality, durationSeconds }) => {
      try {
        const take = live.start(modality, durationSeconds);
        return { takeId: take.takeId, recorder: take.recorder, expectedSeconds: take.expectedSeconds };
      } catch (e) {
        throw asServiceError(e);
      }
    },
    'capture.stop': async ({ takeId }) => ({ stopped: live.stop(takeId) }),
    'capture.result': async ({ takeId }) => {
      try {
        return await live.result(takeId);
      } catch (e) {
        throw asServiceError(e);
      }
    },
    ...createDeviceHandlers(ctx, { store }),
    ...createRetrainHandlers(ctx, store),
    ...createPoseHandlers(ctx, sessionFor),
  };
}
