/**
 * WAV bytes → mono floats. The bytes come from outside (a USB stick, a manifest row, an upload), so the
 * header is read here by a bounded walk and every field is checked against what a real recording can
 * hold BEFORE anything is allocated: a 40 KB file can claim a 1 Hz rate, 65535 channels or a 4 GB data
 * chunk. No third-party parser sees the bytes: wavefile reads every chunk it knows, and a 60-byte file
 * whose `cue ` chunk claims 10 million points cost it 27 s and 2.2 GB.
 */
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

/** What a real recording can be. Each bound is far outside any microphone, recorder or data set we know of. */
export const WAV_LIMITS = {
  /** Below 4 kHz not even telephone speech (8 kHz) fits; a lower rate is a damaged or forged header. */
  minSampleRate: 4000,
  /** The highest rate studio converters offer. */
  maxSampleRate: 384000,
  /** Ambisonic and array microphones stop well below this; the samples are averaged to mono anyway. */
  maxChannels: 32,
  /** A screening take lasts 5–30 s; a data-set recording a few minutes at most. */
  maxSeconds: 600,
  /**
   * Sample frames decoded: 10 minutes at 48 kHz. This, not the rate, sizes the decoded mono buffer
   * (115 MB), so a 384 kHz recording may last 75 s.
   */
  maxFrames: 600 * 48000,
  /** Chunks before the audio data: real files have a handful (fmt, fact, LIST, bext, JUNK…). */
  maxChunks: 256,
  /**
   * Largest float sample. Full scale is ±1, but some programs write floats at integer scale (±32768,
   * ±8388608), so 2^24 is accepted. Beyond it nothing is audio: a 64-bit 1e300 would turn infinite in the
   * 32-bit samples, and anything near 1e19 overflows the 32-bit power spectra of the features.
   */
  maxFloatMagnitude: 2 ** 24,
} as const;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The fields every "fmt " chunk has: format, channels, rate, byte rate, block align, bits. */
const FMT_MIN_BYTES = 16;

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

/** The header fields decoding needs, and where the samples are. */
interface WavHeader {
  readonly bigEndian: boolean;
  /** The sample format, read through WAVE_FORMAT_EXTENSIBLE's sub-format when present. */
  readonly format: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataStart: number;
  /** Sample bytes present in the file: never more than the file holds, whatever the header declares. */
  readonly dataBytes: number;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function kHz(rate: number): string {
  return `${rate / 1000} kHz`;
}

function minutes(seconds: number): string {
  return seconds >= 90 ? `${(seconds / 60).toFixed(1)} minutes` : `${seconds.toFixed(1)} s`;
}

function implausible(file: string, detail: string): AudioImportError {
  return new AudioImportError(file, 'implausibleHeader', `${detail}; the WAV header is damaged or was not written by a recorder (export the recording again)`);
}

function readFmt(view: DataView, at: number, size: number, bigEndian: boolean): Omit<WavHeader, 'dataStart' | 'dataBytes' | 'bigEndian'> {
  const le = !bigEndian;
  const audioFormat = view.getUint16(at, le);
  // The sub-format GUID starts 24 bytes into an extensible fmt chunk; its first four bytes are the format code.
  const format = audioFormat === FORMAT_EXTENSIBLE ? (size >= 28 ? view.getUint32(at + 24, le) : 0) : audioFormat;
  return { format, channels: view.getUint16(at + 2, le), sampleRate: view.getUint32(at + 4, le), bitsPerSample: view.getUint16(at + 14, le) };
}

/**
 * The container and its chunks, checked before any decoding: the distinction between "not a WAV" and "a
 * WAV cut short" is what tells a user whether to re-export or re-copy the file. The walk moves at least 8
 * bytes a step and stops after `maxChunks`, so no declared size can make it loop or run long.
 */
function readHeader(bytes: Uint8Array, file: string): WavHeader {
  if (bytes.length === 0) throw new AudioImportError(file, 'empty', 'the file is 0 bytes long');
  const riff = ascii(bytes, 0);
  const head = riff.slice(0, Math.min(4, bytes.length));
  const looksRiff = ['RIFF', 'RIFX', 'RF64'].some((sig) => sig.startsWith(head));
  if (!looksRiff) throw new AudioImportError(file, 'notWav', 'not a WAV file (no RIFF/WAVE signature)');
  if (bytes.length < 12) throw new AudioImportError(file, 'truncated', `the WAV header is cut off after ${bytes.length} bytes`);
  if (ascii(bytes, 8) !== 'WAVE') throw new AudioImportError(file, 'notWav', `a RIFF file of type "${ascii(bytes, 8)}", not WAVE audio`);
  const bigEndian = riff === 'RIFX';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: ReturnType<typeof readFmt> | undefined;
  let at = 12;
  for (let chunks = 1; at + 8 <= bytes.length; chunks++) {
    if (chunks > WAV_LIMITS.maxChunks) throw implausible(file, `more than ${WAV_LIMITS.maxChunks} chunks come before the audio data`);
    const id = ascii(bytes, at);
    const declared = view.getUint32(at + 4, !bigEndian);
    const body = at + 8;
    if (id === 'fmt ' && !fmt) {
      if (body + declared > bytes.length) throw new AudioImportError(file, 'truncated', 'the WAV header is cut off inside the "fmt " chunk');
      if (declared < FMT_MIN_BYTES) throw new AudioImportError(file, 'truncated', `the "fmt " chunk is ${declared} bytes, shorter than the ${FMT_MIN_BYTES} every WAV header has`);
      fmt = readFmt(view, body, declared, bigEndian);
    }
    if (id === 'data') {
      if (!fmt) throw new AudioImportError(file, 'truncated', 'the WAV header has no "fmt " chunk before its data');
      const present = bytes.length - body;
      // RF64 and streamed WAVs (e.g. sox writing to a pipe) put a placeholder size here; take what is there,
      // which is never more than the file holds.
      const streamed = riff === 'RF64' || declared === 0xffffffff || declared === 0x7fffffff;
      if (!streamed && declared > present) {
        throw new AudioImportError(file, 'truncated', `the data chunk declares ${declared} bytes but only ${present} are present`);
      }
      return { ...fmt, bigEndian, dataStart: body, dataBytes: Math.min(declared, present) };
    }
    at = body + declared + (declared & 1);
  }
  throw new AudioImportError(file, 'truncated', fmt ? 'the WAV file ends before its "data" chunk' : 'the WAV header is cut off before its "fmt " chunk');
}

function codecName(format: number): string {
  return CODEC_NAMES[format] ?? `format code ${format}`;
}

/** Refuses a header no real recording has, and a recording longer than the app reads, before any allocation. */
function checkPlausible(h: WavHeader, file: string): number {
  const isPcm = h.format === FORMAT_PCM && [8, 16, 24, 32].includes(h.bitsPerSample);
  const isFloat = h.format === FORMAT_FLOAT && (h.bitsPerSample === 32 || h.bitsPerSample === 64);
  if (!isPcm && !isFloat) {
    const what = h.format === FORMAT_PCM || h.format === FORMAT_FLOAT ? `${h.bitsPerSample}-bit ${h.format === FORMAT_PCM ? 'integer' : 'float'} samples` : codecName(h.format);
    throw new AudioImportError(file, 'unsupportedCodec', `unsupported WAV encoding: ${what} (re-export as 16-bit PCM WAV)`);
  }
  const { minSampleRate, maxSampleRate, maxChannels, maxSeconds, maxFrames } = WAV_LIMITS;
  if (h.sampleRate < minSampleRate || h.sampleRate > maxSampleRate) {
    throw implausible(file, `sample rate ${h.sampleRate} Hz is outside ${minSampleRate / 1000}–${maxSampleRate / 1000} kHz`);
  }
  if (h.channels < 1 || h.channels > maxChannels) throw implausible(file, `channel count ${h.channels} is outside 1–${maxChannels}`);
  const frames = Math.floor(h.dataBytes / (h.channels * (h.bitsPerSample / 8)));
  const seconds = frames / h.sampleRate;
  if (seconds > maxSeconds) {
    throw new AudioImportError(file, 'tooLarge', `the recording lasts ${minutes(seconds)}, longer than the ${maxSeconds / 60} minutes this app reads (cut it into shorter recordings)`);
  }
  if (frames > maxFrames) {
    throw new AudioImportError(
      file,
      'tooLarge',
      `the recording holds ${frames} samples per channel (${minutes(seconds)} at ${kHz(h.sampleRate)}), more than the ${maxFrames} (${maxSeconds / 60} minutes at ${kHz(maxFrames / maxSeconds)}) this app reads (export it at 48 kHz or cut it shorter)`,
    );
  }
  return frames;
}

/** One sample of the given layout at byte `at`, as the integer or float the file stores. */
function sampleReader(view: DataView, format: number, bits: number, bigEndian: boolean): (at: number) => number {
  const le = !bigEndian;
  if (format === FORMAT_FLOAT) return bits === 32 ? (at) => view.getFloat32(at, le) : (at) => view.getFloat64(at, le);
  switch (bits) {
    case 8:
      return (at) => view.getUint8(at); // 8-bit WAV is the one unsigned layout
    case 16:
      return (at) => view.getInt16(at, le);
    case 24:
      return le
        ? (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getUint8(at + 2) << 16)) << 8) >> 8
        : (at) => ((view.getUint8(at + 2) | (view.getUint8(at + 1) << 8) | (view.getUint8(at) << 16)) << 8) >> 8;
    default:
      return (at) => view.getInt32(at, le);
  }
}

/** Decodes any PCM (8/16/24/32-bit integer) or IEEE float (32/64-bit) WAV, of up to 32 channels, to mono. */
export function decodeWav(bytes: Uint8Array, file: string): DecodedWav {
  const h = readHeader(bytes, file);
  const frameCount = checkPlausible(h, file);
  if (frameCount === 0) throw new AudioImportError(file, 'empty', 'the recording is empty (0 samples)');
  const { channels, bitsPerSample: bits } = h;
  const isFloat = h.format === FORMAT_FLOAT;
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataStart, h.dataBytes);
  const read = sampleReader(view, h.format, bits, h.bigEndian);
  const step = bits / 8;
  const samples = new Float32Array(frameCount);
  const scale = isFloat ? 1 : 1 / 2 ** (bits - 1);
  const offset = bits === 8 && !isFloat ? 128 : 0;
  for (let i = 0, at = 0; i < frameCount; i++) {
    // Summed in float64 in channel order, then scaled: the exact arithmetic the importer has always used,
    // so the same file gives the same samples bit for bit.
    let sum = 0;
    for (let c = 0; c < channels; c++, at += step) sum += read(at);
    const v = (sum / channels - offset) * scale;
    if (!(Math.abs(v) <= WAV_LIMITS.maxFloatMagnitude)) {
      const what = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${v}, far beyond full scale (±1)` : 'infinite';
      throw new AudioImportError(file, 'nonFinite', `sample ${i} is ${what}; the file is corrupt or was written by a faulty program`);
    }
    samples[i] = v;
  }
  return { samples, sampleRate: h.sampleRate, channels, bitsPerSample: bits, encoding: isFloat ? 'float' : 'pcm' };
}
