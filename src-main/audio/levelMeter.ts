/** One level reading: the loudness of the last block of a take, as the capture screen's meter shows it. */
export interface LevelReading {
  /** Root-mean-square level, dB relative to full scale (a full-scale sine reads −3 dBFS: no AES17 +3 dB offset). */
  readonly rmsDbfs: number;
  /** Largest absolute sample, dB relative to full scale (0 = the converter's limit). */
  readonly peakDbfs: number;
  /** Seconds of audio from the start of the take to the end of this block (audio time, not wall time). */
  readonly t: number;
}

/**
 * Floor for silence. Digital zero would be −∞ dB, which JSON and the API schema cannot carry; 16-bit
 * audio cannot go below about −96 dBFS anyway, so −100 reads as "nothing at all".
 */
export const LEVEL_FLOOR_DBFS = -100;

/** A meter redrawn 20 times a second looks continuous without flooding the event bus. */
export const LEVEL_READINGS_PER_SECOND = 20;

export function toDbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(LEVEL_FLOOR_DBFS, 20 * Math.log10(amplitude)) : LEVEL_FLOOR_DBFS;
}

/**
 * Turns a stream of samples, arriving in chunks of whatever size the recorder delivers, into one reading
 * per fixed block. Blocks are counted in samples, not timer ticks, so the readings line up with the audio
 * even when the recorder delivers in bursts.
 */
export class LevelMeter {
  private readonly blockSize: number;
  private sumSquares = 0;
  private peak = 0;
  private inBlock = 0;
  private total = 0;

  constructor(
    private readonly sampleRate: number,
    readingsPerSecond: number = LEVEL_READINGS_PER_SECOND,
  ) {
    if (!(sampleRate > 0 && readingsPerSecond > 0)) throw new RangeError(`LevelMeter: bad rate ${sampleRate} Hz / ${readingsPerSecond} per second`);
    this.blockSize = Math.max(1, Math.round(sampleRate / readingsPerSecond));
  }

  /** Feeds samples in [-1, 1]; returns the readings for every block this chunk completed. */
  push(samples: Float32Array): LevelReading[] {
    const readings: LevelReading[] = [];
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i]!;
      this.sumSquares += v * v;
      const a = v < 0 ? -v : v;
      if (a > this.peak) this.peak = a;
      this.inBlock++;
      this.total++;
      if (this.inBlock === this.blockSize) readings.push(this.reading());
    }
    return readings;
  }

  /** The reading for a last, partial block (e.g. when a take is stopped early); undefined if there is none. */
  flush(): LevelReading | undefined {
    return this.inBlock > 0 ? this.reading() : undefined;
  }

  private reading(): LevelReading {
    const r = { rmsDbfs: toDbfs(Math.sqrt(this.sumSquares / this.inBlock)), peakDbfs: toDbfs(this.peak), t: this.total / this.sampleRate };
    this.sumSquares = 0;
    this.peak = 0;
    this.inBlock = 0;
    return r;
  }
}
