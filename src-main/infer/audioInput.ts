/**
 * A recording → the model input for one audio modality, computed exactly as at training time from the
 * feature parameters stored in the package. A missing or unusable recording becomes an absent modality
 * (the classifier fills it with silence and says so) together with the reason, naming the file.
 */
import { AudioImportError } from '../audio/audioImportError';
import { importWav } from '../audio/wavImport';
import { logMelSpectrogram } from '../dsp/melSpectrogram';
import type { ModalitySpec } from '../models/packageMeta';
import type { ModalityInput } from './classify';
import { InferenceError } from './inferenceError';

export interface AudioModalityInput extends ModalityInput {
  /** Why the modality is absent, for the person reading the result. */
  readonly problem?: string;
}

export function silenceFill(m: ModalitySpec): number {
  if (m.features.kind !== 'logMel') throw new InferenceError(`modality '${m.name}' is not audio`);
  return Math.log(m.features.logFloor ?? 1e-10);
}

export function audioFeaturesFromSamples(m: ModalitySpec, samples: Float32Array, sampleRate: number): Float32Array {
  if (m.features.kind !== 'logMel') throw new InferenceError(`modality '${m.name}' is not audio`);
  return logMelSpectrogram(samples, m.features, sampleRate).data;
}

export async function audioModalityInput(m: ModalitySpec, file: string | undefined): Promise<AudioModalityInput> {
  const fill = silenceFill(m);
  if (!file) return { features: undefined, fill, problem: `no ${m.name} recording` };
  try {
    const rec = await importWav(file, m.features.kind === 'logMel' ? m.features.sampleRate : 16000);
    return { features: audioFeaturesFromSamples(m, rec.samples, rec.sampleRate), fill };
  } catch (e) {
    if (e instanceof AudioImportError) return { features: undefined, fill, problem: e.message };
    throw e;
  }
}
