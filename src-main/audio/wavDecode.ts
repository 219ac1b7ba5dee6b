import wavefile from 'wavefile';
import { AudioImportError } from './audioImportError';

/** A WAV file decoded to mono floats in [-1, 1] at its own sample rate. */
export interface DecodedWav {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Channels in the file; the samples are their average. */
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly encoding: 'pcm' | 'float';
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Names for the codecs people actually meet, so the error says more than a number. */
const CODEC_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'µ-law',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  80: 'MPEG',
  85: 'MP3',
};

interface WaveFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  subformat: number[];
}

interface ChunkInfo {
  chunkId: string;
  chunkSize: number;
  samples: Uint8Array;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/**
 * wavefile reads past the end of a cut-off buffer without complaint, so the container is checked first:
 * the distinction between "not a WAV" and "a WAV cut short" is what tells a user whether to re-export or
 * re-copy the file.
 */
function checkContainer(bytes: Uint8Array, file: string): void {
  if (bytes.length === 0) throw new AudioImportError(file, 'empty', 'the file is 0 bytes long');
  const riff = ascii(bytes, 0);
  const head = riff.slice(0, Math.min(4, bytes.length));
  const looksRiff = ['RIFF', 'RIFX', 'RF64'].some((sig) => sig.startsWith(head));
  if (!looksRiff) throw new AudioImportError(file, 'notWav', 'not a WAV file (no RIFF/WAVE signature)');
  if (bytes.length < 12) throw new AudioImportError(file, 'truncated', `the WAV header is cut off after ${bytes.length} bytes`);
  if (ascii(bytes, 8) !== 'WAVE') throw new AudioImportError(file, 'notWav', `a RIFF file of type "${ascii(bytes, 8)}", not WAVE audio`);
  let at = 12;
  let sawFmt = false;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at);
    const size = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24);
    const declared = riff === 'RIFX' ? ((bytes[at + 4]! << 24) | (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!) >>> 0 : size >>> 0;
    if (id === 'fmt ') {
      if (at + 8 + declared > bytes.length) throw new AudioImportError(file, 'truncated', 'the WAV header is cut off inside the "fmt " chunk');
      sawFmt = true;
    }
    if (id === 'data') {
      if (!sawFmt) throw new AudioImportError(file, 'truncated', 'the WAV header has no "fmt " chunk before its data');
      // RF64 and streamed WAVs (e.g. sox writing to a pipe) put a placeholder size here; accept what is there.
      const streamed = riff === 'RF64' || declared === 0xffffffff || declared === 0x7fffffff;
      if (!streamed && at + 8 + declared > bytes.length) {
        throw new AudioImportError(file, 'truncated', `the data chunk declares ${declared} bytes but only ${bytes.length - at - 8} are present`);
      }
      return;
    }
    at += 8 + declared + (declared & 1);
  }
  throw new AudioImportError(file, 'truncated', sawFmt ? 'the WAV file ends before its "data" chunk' : 'the WAV header is cut off before its "fmt " chunk');
}

function codecName(format: number): string {
  return CODEC_NAMES[format] ?? `format code ${format}`;
}

/** Decodes any PCM (8/16/24/32-bit integer) or IEEE float (32/64-bit) WAV, of any channel count, to mono. */
export function decodeWav(bytes: Uint8Array, file: string): DecodedWav {
  checkContainer(bytes, file);
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (e) {
    throw new AudioImportError(file, 'truncated', `the WAV header could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  const fmt = wav.fmt as WaveFmt;
  const data = wav.data as ChunkInfo;
  const format = fmt.audioFormat === FORMAT_EXTENSIBLE ? (fmt.subformat[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const isPcm = format === FORMAT_PCM && [8, 16, 24, 32].includes(bits);
  const isFloat = format === FORMAT_FLOAT && (bits === 32 || bits === 64);
  if (!isPcm && !isFloat) {
    const what = format === FORMAT_PCM || format === FORMAT_FLOAT ? `${bits}-bit ${format === FORMAT_PCM ? 'integer' : 'float'} samples` : codecName(format);
    throw new AudioImportError(file, 'unsupportedCodec', `unsupported WAV encoding: ${what} (re-export as 16-bit PCM WAV)`);
  }
  const channels = fmt.numChannels;
  if (channels < 1 || fmt.sampleRate < 1) {
    throw new AudioImportError(file, 'truncated', `the WAV header is damaged (${channels} channels at ${fmt.sampleRate} Hz)`);
  }
  const frameBytes = channels * (bits / 8);
  const frameCount = Math.floor(data.samples.length / frameBytes);
  if (frameCount === 0) throw new AudioImportError(file, 'empty', 'the recording is empty (0 samples)');

  const interleaved = readInterleaved(wav, data.samples.subarray(0, frameCount * frameBytes), format, bits, fmt.audioFormat === FORMAT_EXTENSIBLE);
  const samples = new Float32Array(frameCount);
  const scale = isFloat ? 1 : 1 / 2 ** (bits - 1);
  const offset = bits === 8 && !isFloat ? 128 : 0; // 8-bit WAV is the one unsigned layout
  for (let i = 0; i < frameCount; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c]!;
    const v = (sum / channels - offset) * scale;
    if (!Number.isFinite(v)) {
      throw new AudioImportError(file, 'nonFinite', `sample ${i} is ${Number.isNaN(v) ? 'NaN' : 'infinite'}; the file is corrupt or was written by a faulty program`);
    }
    samples[i] = v;
  }
  return { samples, sampleRate: fmt.sampleRate, channels, bitsPerSample: bits, encoding: isFloat ? 'float' : 'pcm' };
}

function readInterleaved(wav: InstanceType<typeof wavefile.WaveFile>, raw: Uint8Array, format: number, bits: number, extensible: boolean): ArrayLike<number> {
  // wavefile decides int-vs-float from the top-level format code only, so an extensible float file would
  // be read as integers; those few bytes are read directly instead.
  if (extensible && format === FORMAT_FLOAT) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const step = bits / 8;
    const out = new Float64Array(raw.byteLength / step);
    for (let i = 0; i < out.length; i++) out[i] = bits === 32 ? view.getFloat32(i * step, true) : view.getFloat64(i * step, true);
    return out;
  }
  if (format === FORMAT_PCM && bits === 16 && wav.container === 'RIFF') {
    // The common case (every phone and most recorders) gets a direct little-endian read: wavefile's
    // generic unpacker costs ~2 ms per second of audio, as much as computing the features themselves.
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Int16Array(raw.byteLength >> 1);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i << 1, true);
    return out;
  }
  if (raw.length !== (wav.data as ChunkInfo).samples.length) (wav.data as ChunkInfo).samples = raw;
  return wav.getSamples(true, Float64Array);
}
