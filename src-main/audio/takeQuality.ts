import { toDbfs } from './levelMeter';

/**
 * Checks a recording can be used before the person leaves the room: a take that is silent, clipped or
 * drowned in noise gives the model nothing to work with, and it is far cheaper to record again now than
 * to discover it in the results. A pure function of the samples, so it applies equally to a microphone
 * take and to an imported file.
 */
export type TakeIssueCode = 'empty' | 'tooShort' | 'silent' | 'clipped' | 'noisy';

export interface TakeIssue {
  readonly code: TakeIssueCode;
  /** Plain language for the person recording, saying what to do about it. */
  readonly message: string;
}

export interface TakeMeasures {
  readonly durationSeconds: number;
  /** Level of the whole take. */
  readonly rmsDbfs: number;
  readonly peakDbfs: number;
  /** Level of the loud part: the LOUD_PERCENTILE frame; what "silent" is judged on. */
  readonly loudDbfs: number;
  /** Level of the background: the QUIET_PERCENTILE frame. */
  readonly quietDbfs: number;
  /** loudDbfs − quietDbfs: a rough signal-to-noise ratio that needs no clean reference. */
  readonly snrDb: number;
  /** Share of samples at or beyond CLIP_LEVEL. */
  readonly clippedFraction: number;
}

export interface TakeQuality {
  /** True when there is nothing to fix. */
  readonly ok: boolean;
  readonly issues: readonly TakeIssue[];
  readonly measures: TakeMeasures;
}

export interface TakeQualityOptions {
  /** The duration the take was meant to last; without it the length is not judged. */
  readonly expectedSeconds?: number;
}

/**
 * A take shorter than this share of its planned length was cut off (stopped early, recorder died):
 * the features need the whole sound, and counting to 20 in less than 60 % of the time means numbers are missing.
 */
export const MIN_DURATION_FRACTION = 0.6;

/**
 * The loud part of a take with anything in it is above this. In the Coswara batch the dead takes (a muted
 * or denied microphone writes only ±1 LSB of dither) sit at −96 dBFS and one near-dead one at −80, while
 * the faintest real sounds, shallow breaths, reach −56 dBFS and coughs and counting −38 or more. −60
 * separates the two with room on both sides; a faint but real breath is left for the noise check to judge.
 */
export const SILENT_LOUD_DBFS = -60;

/**
 * |sample| at or above 0.99 of full scale counts as clipped. Not exactly 1: recorders and resampling
 * leave clipped plateaus a hair under the limit.
 */
export const CLIP_LEVEL = 0.99;

/**
 * More than 0.1 % of samples at the limit (48 samples in 3 s, i.e. several flattened wave tops) is
 * audible distortion that changes the spectrum the model sees; one or two touching samples are not.
 */
export const MAX_CLIPPED_FRACTION = 0.001;

/**
 * Under 20 dB between the loud frames and the quiet frames, the background (fan, traffic, talking) is
 * within a factor of 10 in amplitude of the cough or voice. In the Coswara batch 3 of the 201 takes with sound in them fall
 * below it, one a cough over a −30 dBFS background; a deep breath in a quiet room reads 25–60 dB.
 */
export const MIN_SNR_DB = 20;

/** 50 ms frames: long enough for a stable level, short enough to find the gaps between coughs or words. */
export const QUALITY_FRAME_SECONDS = 0.05;
export const LOUD_PERCENTILE = 0.95;
export const QUIET_PERCENTILE = 0.1;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return -Infinity;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

export function measureTake(samples: Float32Array, sampleRate: number): TakeMeasures {
  if (!(sampleRate > 0)) throw new RangeError(`measureTake: sample rate must be positive (got ${sampleRate})`);
  const n = samples.length;
  let sumSquares = 0;
  let peak = 0;
  let clipped = 0;
  const frameLength = Math.max(1, Math.round(QUALITY_FRAME_SECONDS * sampleRate));
  const frameCount = Math.max(n > 0 ? 1 : 0, Math.floor(n / frameLength));
  const frameDb = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    const start = f * frameLength;
    const end = f === frameCount - 1 ? n : start + frameLength;
    let frameSum = 0;
    for (let i = start; i < end; i++) {
      const v = samples[i]!;
      frameSum += v * v;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
      if (a >= CLIP_LEVEL) clipped++;
    }
    sumSquares += frameSum;
    frameDb[f] = toDbfs(Math.sqrt(frameSum / (end - start)));
  }
  frameDb.sort();
  const loud = frameCount ? percentile(frameDb, LOUD_PERCENTILE) : toDbfs(0);
  const quiet = frameCount ? percentile(frameDb, QUIET_PERCENTILE) : toDbfs(0);
  return {
    durationSeconds: n / sampleRate,
    rmsDbfs: round(toDbfs(n ? Math.sqrt(sumSquares / n) : 0), 2),
    peakDbfs: round(toDbfs(peak), 2),
    loudDbfs: round(loud, 2),
    quietDbfs: round(quiet, 2),
    snrDb: round(loud - quiet, 2),
    clippedFraction: n ? clipped / n : 0,
  };
}

/** Measures a take and says, in words a clinician can act on, what (if anything) is wrong with it. */
export function assessTake(samples: Float32Array, sampleRate: number, options: TakeQualityOptions = {}): TakeQuality {
  const m = measureTake(samples, sampleRate);
  const issues: TakeIssue[] = [];
  if (samples.length === 0) {
    issues.push({ code: 'empty', message: 'Nothing was recorded — check that the microphone is plugged in and switched on, then try again.' });
    return { ok: false, issues, measures: m };
  }
  const expected = options.expectedSeconds;
  if (expected !== undefined && m.durationSeconds < MIN_DURATION_FRACTION * expected) {
    issues.push({
      code: 'tooShort',
      message: `The recording is only ${m.durationSeconds.toFixed(1)} s long but about ${expected.toFixed(0)} s are needed — record again and keep going until the timer ends.`,
    });
  }
  if (m.loudDbfs < SILENT_LOUD_DBFS) {
    issues.push({ code: 'silent', message: 'The recording is almost silent — move closer to the microphone and try again.' });
  } else {
    // Noise is only worth mentioning when there is a sound to compare it with.
    if (m.snrDb < MIN_SNR_DB) {
      issues.push({
        code: 'noisy',
        message: 'Background noise is almost as loud as the sound itself — move to a quieter place (or closer to the microphone) and try again.',
      });
    }
  }
  if (m.clippedFraction > MAX_CLIPPED_FRACTION) {
    issues.push({
      code: 'clipped',
      message: `The recording is too loud and distorted (${(m.clippedFraction * 100).toFixed(1)} % of it hit the microphone's limit) — hold the microphone a little further away and try again.`,
    });
  }
  return { ok: issues.length === 0, issues, measures: m };
}
