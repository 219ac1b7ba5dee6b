/**
 * The screening's audio modalities (Coswara's protocol: cough, counting 1–20, deep breathing), their
 * capture instructions and model features, and the default compression recipe. The bundled model, the
 * CLI and the retrain wizard start from these, so one change here changes them together.
 */
import type { Recipe } from '../compress/pipeline';
import type { AudioFeatureParams } from '../models/packageMeta';

export interface ScreeningAudioModality {
  readonly name: string;
  readonly features: AudioFeatureParams;
  /** Shown in the capture guide. */
  readonly instruction: string;
  /** Length of a take. */
  readonly durationSeconds: number;
}

/**
 * Coarser than the app's general defaults (40 ms windows every 20 ms, 32 bands): the inputs stay a few KB
 * so three branches' activations fit GAP8's 64 KB cluster L1, while 25 Hz bins still resolve voice pitch.
 */
const common = { kind: 'logMel', sampleRate: 16000, windowMs: 40, hopMs: 20, fftSize: 1024, melBands: 32, fMin: 0, fMax: 8000, trimDb: 40, logFloor: 1e-6 } as const;
export const SCREENING_AUDIO_MODALITIES: readonly ScreeningAudioModality[] = [
  { name: 'cough', features: { ...common, frames: 64 }, instruction: 'Cough three times, turning your head away from other people.', durationSeconds: 5 },
  { name: 'speech', features: { ...common, frames: 128 }, instruction: 'Count from 1 to 20 at your normal pace and volume.', durationSeconds: 12 },
  { name: 'breathing', features: { ...common, frames: 128 }, instruction: 'Breathe in and out deeply five times through your mouth.', durationSeconds: 12 },
];

export const DEFAULT_AUDIO_RECIPE: Recipe = {
  seed: 1,
  teacher: { widthMultiplier: 1.5, depth: 3, kernelSize: 3, denseUnits: 32 },
  students: [
    { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 },
    { widthMultiplier: 0.25, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.5, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 1, depth: 3, kernelSize: 3, denseUnits: 16 },
  ],
  fit: { epochs: 30, batchSize: 32, learningRate: 3e-3, patience: 10, weightDecay: 1e-4 },
  // Students are kept by their validation distillation loss (fit.ts), which an untrained student can
  // still win in its first epochs on fifteen validation participants: two of five CV folds kept epoch 0
  // (43.9 and 45.5 % against teachers at 81.8 and 83.0). From epoch 8 on, the distilled int8 student
  // averages 72.9 % against the teacher's 72.1 (student alone 55.0).
  studentFit: { minEpochs: 8 },
  alpha: 0.3,
  temperature: 4,
  inputClip: 0.001,
  qatEpochs: 5,
};

