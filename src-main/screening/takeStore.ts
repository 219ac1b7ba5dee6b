/**
 * Where the takes of a screening live: the app's own data folder only (patient audio never leaves the
 * machine). Each take is `<takeId>.wav` (a loaded file's bytes unchanged, or a microphone take as 16-bit
 * PCM) beside `<takeId>.json`, the report the capture step shows.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { takeReportSchema, type TakeReport } from '../api/contract';
import { AudioImportError } from '../audio/audioImportError';
import { assessTake, measureTake, type TakeQuality } from '../audio/takeQuality';
import { importWavBytes, MODEL_SAMPLE_RATE } from '../audio/wavImport';
import { writeFileAtomic } from '../storage/atomicFile';
import { waveformPeaks } from './waveform';

export class TakeNotFoundError extends Error {
  override readonly name = 'TakeNotFoundError';
  constructor(readonly takeId: string) {
    super(`no take with id '${takeId}' in this session (it may have been recorded before the app restarted)`);
  }
}

/** What a person can act on when a file cannot be used at all. */
const PROBLEM_ADVICE: Readonly<Record<AudioImportError['reason'], string>> = {
  unreadable: 'choose the file again',
  tooLarge: 'load a shorter recording (a take of under a minute is plenty)',
  empty: 'load another recording or record again',
  truncated: 'copy the file again from its source',
  notWav: 'load a WAV file',
  unsupportedCodec: 'export it again as 16-bit PCM WAV',
  implausibleHeader: 'export it again as 16-bit PCM WAV from the recording program',
  nonFinite: 'export it again from the recording program',
};

function pcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768)));
  return out;
}

export class TakeStore {
  constructor(readonly dir: string) {}

  wavPath(takeId: string): string {
    return join(this.dir, `${takeId}.wav`);
  }

  /** Stores a loaded file as it is and reports on it; a file that cannot be decoded is kept with its problem. */
  saveUpload(modality: string, fileName: string, bytes: Uint8Array): TakeReport {
    const takeId = randomUUID();
    let report: TakeReport;
    try {
      const rec = importWavBytes(bytes, fileName, MODEL_SAMPLE_RATE);
      report = this.reportOf(takeId, modality, fileName, rec.samples, rec.sampleRate, assessTake(rec.samples, rec.sampleRate));
    } catch (e) {
      if (!(e instanceof AudioImportError)) throw e;
      report = {
        takeId,
        modality,
        source: fileName,
        durationSeconds: 0,
        quality: { ok: false, issues: [{ code: e.reason, message: `${e.message} — ${PROBLEM_ADVICE[e.reason]}.` }], measures: measureTake(new Float32Array(0), MODEL_SAMPLE_RATE) },
        waveform: [],
        problem: e.message,
      };
    }
    writeFileAtomic(this.wavPath(takeId), bytes);
    writeFileAtomic(join(this.dir, `${takeId}.json`), JSON.stringify(report));
    return report;
  }

  /** Stores a microphone take (mono samples in [-1, 1]) as 16-bit PCM WAV with its quality report. */
  saveSamples(takeId: string, modality: string, source: string, samples: Float32Array, sampleRate: number, quality: TakeQuality): TakeReport {
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, sampleRate, '16', pcm16(samples));
    const report = this.reportOf(takeId, modality, source, samples, sampleRate, quality);
    writeFileAtomic(this.wavPath(takeId), wav.toBuffer());
    writeFileAtomic(join(this.dir, `${takeId}.json`), JSON.stringify(report));
    return report;
  }

  async report(takeId: string): Promise<TakeReport> {
    const path = join(this.dir, `${takeId}.json`);
    if (!existsSync(path)) throw new TakeNotFoundError(takeId);
    return takeReportSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  }

  async audio(takeId: string): Promise<Uint8Array> {
    const path = this.wavPath(takeId);
    if (!existsSync(path)) throw new TakeNotFoundError(takeId);
    return readFile(path);
  }

  private reportOf(takeId: string, modality: string, source: string, samples: Float32Array, sampleRate: number, quality: TakeQuality): TakeReport {
    return {
      takeId,
      modality,
      source,
      durationSeconds: samples.length / sampleRate,
      quality: { ok: quality.ok, issues: quality.issues.map((i) => ({ code: i.code, message: i.message })), measures: { ...quality.measures } },
      waveform: waveformPeaks(samples),
      ...(samples.length === 0 ? { problem: `${source}: the recording is empty (0 samples)` } : {}),
    };
  }
}
