import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type Recipe } from '../../src-main/compress/pipeline';
import { writePipelinePackage } from '../../src-main/models/packageFromPipeline';
import type { AudioFeatureParams } from '../../src-main/models/packageMeta';
import { parseTargetLevel } from '../../src-main/planner/memoryFit';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { toyTask } from '../fixtures/toyTask';

/**
 * A real, loadable three-modality audio package (cough, speech, breathing → female/male) built the way the
 * app builds every model (teacher → distillation search → int8 → package), but trained on the toy task in a
 * few seconds. Its inputs are log-mel maps of real WAVs, so screening runs on Coswara files end to end; its
 * answers mean nothing, which is all an API or UI test needs.
 */
const features: AudioFeatureParams = { kind: 'logMel', sampleRate: 16000, windowMs: 40, hopMs: 20, fftSize: 1024, melBands: 8, fMin: 0, fMax: 8000, frames: 16, trimDb: 40, logFloor: 1e-6 };
const shape = [features.frames, features.melBands, 1] as const;

const recipe: Recipe = {
  seed: 7,
  teacher: { widthMultiplier: 1, depth: 2, kernelSize: 3, denseUnits: 16 },
  students: [
    { widthMultiplier: 0.25, depth: 1, kernelSize: 3, denseUnits: 0 },
    { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
  ],
  fit: { epochs: 4, batchSize: 16, learningRate: 1e-2, patience: 4 },
  alpha: 0.5,
  temperature: 3,
  inputClip: 0,
};

export const AUDIO_FIXTURE_ID = 'fixture-screening-audio';

let built: Promise<string> | undefined;

/** Builds the package once per test process; returns its folder (named after its id). */
export function audioFixturePackage(): Promise<string> {
  built ??= (async () => {
    const two = toyTask(120, 11, [shape, shape]);
    // The toy task fills two modalities; breathing gets a scaled copy of the second so no branch sees constant input.
    const data = { ...two, modalities: [...two.modalities, two.modalities[1]!.map((v) => v * 0.7)], sampleSizes: [...two.sampleSizes, two.sampleSizes[1]!], present: two.present.map((p) => [...p, true]) };
    const groups = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, i) => `p${from + i}`));
    const result = await runPipeline(
      {
        train: subset(data, indicesOfGroups(data, groups(0, 20), true)),
        val: subset(data, indicesOfGroups(data, groups(20, 25), true)),
        test: subset(data, indicesOfGroups(data, groups(25, 30), true)),
        modalities: ['cough', 'speech', 'breathing'].map((name) => ({ name, input: shape })),
        classes: 2,
      },
      recipe,
      { level: parseTargetLevel('gap8:l1') },
    );
    const dir = join(await mkdtemp(join(tmpdir(), 'tinym2-audio-pkg-')), AUDIO_FIXTURE_ID);
    writePipelinePackage(
      dir,
      {
        id: AUDIO_FIXTURE_ID,
        name: 'Screening fixture',
        version: '0.1.0',
        task: { kind: 'audio', description: 'Test fixture: gender from cough, speech and breathing', labels: ['female', 'male'] },
        modalities: [
          { name: 'cough', kind: 'audio', instruction: 'Cough three times, turning your head away from other people.', durationSeconds: 5, features },
          { name: 'speech', kind: 'audio', instruction: 'Count from 1 to 20 at your normal pace and volume.', durationSeconds: 12, features },
          { name: 'breathing', kind: 'audio', instruction: 'Breathe in and out deeply five times through your mouth.', durationSeconds: 10, features },
        ],
        accuracy: [{ metric: 'balancedAccuracy', value: result.test.studentInt8.balancedAccuracy, method: 'toy participant split', dataset: 'toy' }],
        provenance: { dataset: 'toy task', seed: recipe.seed },
      },
      result,
    );
    if (!existsSync(join(dir, 'model.json'))) throw new Error('fixture package was not written');
    return dir;
  })();
  return built;
}
