/**
 * Fuzz target: WAV import. `.wav` inputs are decoded and resampled to the model rate from memory
 * (importWavBytes: the container checks, wavefile, the sample reader and the resampler); a `.path`
 * input holds a path to import from disk (importWav), for cases like `/dev/zero` that no file can carry.
 */
import { AudioImportError } from '../../../src-main/audio/audioImportError';
import { importWav, importWavBytes, MODEL_SAMPLE_RATE, type ImportedRecording } from '../../../src-main/audio/wavImport';
import { FuzzViolation, type FuzzTarget } from '../fuzzTarget';

function summary(rec: ImportedRecording) {
  for (let i = 0; i < rec.samples.length; i++) {
    if (!Number.isFinite(rec.samples[i]!)) throw new FuzzViolation(`${rec.file}: imported sample ${i} is ${rec.samples[i]}`);
  }
  if (rec.sampleRate !== MODEL_SAMPLE_RATE) throw new FuzzViolation(`${rec.file}: imported at ${rec.sampleRate} Hz, not ${MODEL_SAMPLE_RATE}`);
  return { samples: rec.samples.length, durationSeconds: rec.durationSeconds, source: rec.source };
}

export const target: FuzzTarget = {
  expected: [AudioImportError],
  async run(input, name) {
    if (name.endsWith('.path')) return summary(await importWav(new TextDecoder().decode(input).trim()));
    return summary(importWavBytes(input, name));
  },
};
