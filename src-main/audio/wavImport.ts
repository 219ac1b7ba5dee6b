import { resample } from '../dsp/resample';
import { readRecordingFile, type RecordingReadOptions } from './recordingFile';
import { decodeWav } from './wavDecode';

/** The rate every model in TinyM2 Studio listens at. */
export const MODEL_SAMPLE_RATE = 16000;

/** What the file was before conversion; kept so reports can say "48 kHz stereo 24-bit". */
export interface SourceFormat {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly encoding: 'pcm' | 'float';
}

/** A recording as the feature pipeline consumes it: mono floats at `sampleRate` (16 kHz unless asked). */
export interface ImportedRecording {
  readonly file: string;
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly durationSeconds: number;
  readonly source: SourceFormat;
}

/** Decodes WAV bytes already in memory (e.g. a take from the microphone) and resamples them. */
export function importWavBytes(bytes: Uint8Array, file: string, targetRate: number = MODEL_SAMPLE_RATE): ImportedRecording {
  const decoded = decodeWav(bytes, file);
  const samples = resample(decoded.samples, decoded.sampleRate, targetRate);
  return {
    file,
    samples,
    sampleRate: targetRate,
    durationSeconds: samples.length / targetRate,
    source: { sampleRate: decoded.sampleRate, channels: decoded.channels, bitsPerSample: decoded.bitsPerSample, encoding: decoded.encoding },
  };
}

/**
 * Reads a WAV file of any PCM/float layout and returns it as mono at `targetRate`. Only regular files of
 * at most `INPUT_LIMITS.audioBytes` are read, and no symbolic link when the file was named by a data set
 * (`insideFolder`). Throws `AudioImportError`.
 */
export async function importWav(file: string, targetRate: number = MODEL_SAMPLE_RATE, o: RecordingReadOptions = {}): Promise<ImportedRecording> {
  return importWavBytes(await readRecordingFile(file, o), file, targetRate);
}
