import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { CaptureError } from './captureError';

/** The command-line recorders a take can run through, in order of preference. */
export type RecorderName = 'sox' | 'arecord';
export const RECORDER_PREFERENCE: readonly RecorderName[] = ['sox', 'arecord'];

/** The Debian package that provides each recorder, for the install hint. */
export const RECORDER_PACKAGES: Readonly<Record<RecorderName, string>> = { sox: 'sox', arecord: 'alsa-utils' };

export interface RecorderCommand {
  readonly name: RecorderName;
  /** Absolute path of the executable, found on the PATH that was searched. */
  readonly command: string;
  readonly args: readonly string[];
  /** Variables the recorder needs on top of the caller's environment (e.g. AUDIODEV for SoX). */
  readonly extraEnv: Readonly<Record<string, string>>;
}

export interface RecorderRequest {
  readonly sampleRate: number;
  /** An ALSA device name (e.g. "hw:1,0" or "pulse"); the system default otherwise. */
  readonly device?: string;
  /** The PATH to search; the process's own when absent. */
  readonly searchPath?: string;
  /** Use this recorder only, instead of the first one installed. */
  readonly recorder?: RecorderName;
}

interface LibraryRecorderOptions {
  sampleRate: number;
  channels: number;
  audioType: string;
  endOnSilence: boolean;
  threshold: number;
  silence: string;
  device?: string;
}
type LibraryRecorder = (options: LibraryRecorderOptions) => { cmd: string; args: (string | number)[]; spawnOptions?: { env?: Record<string, string | undefined> } };

/**
 * node-record-lpcm16 knows the right command line for each recorder, so it is used for that. Its own
 * `record()` is not: it spawns by bare name with this process's PATH and environment (so a PulseAudio
 * server cannot be chosen per take), does not listen for the spawn error (a missing binary crashes the
 * process with an unhandled 'error' event), and reports failures as strings. Spawning is done in capture.ts.
 */
const require = createRequire(import.meta.url);
function libraryRecorder(name: RecorderName): LibraryRecorder {
  return require(`node-record-lpcm16/recorders/${name}`) as LibraryRecorder;
}

export function findExecutable(name: string, searchPath: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Which recorders are installed, in preference order (for diagnostics and the report). */
export function installedRecorders(searchPath?: string): RecorderName[] {
  return RECORDER_PREFERENCE.filter((name) => findExecutable(name, searchPath) !== undefined);
}

/** The command that records raw 16-bit mono little-endian PCM to stdout with the first installed recorder. */
export function recorderCommand(request: RecorderRequest): RecorderCommand {
  const candidates = request.recorder ? [request.recorder] : RECORDER_PREFERENCE;
  for (const name of candidates) {
    const command = findExecutable(name, request.searchPath);
    if (!command) continue;
    const built = libraryRecorder(name)({
      sampleRate: request.sampleRate,
      channels: 1,
      // Raw samples, not WAV: a WAV header written to a pipe has no valid length, and raw needs no parsing.
      audioType: 'raw',
      endOnSilence: false,
      threshold: 0.5,
      silence: '1.0',
      ...(request.device ? { device: request.device } : {}),
    });
    const extraEnv: Record<string, string> = {};
    const audiodev = built.spawnOptions?.env?.AUDIODEV;
    if (audiodev) extraEnv.AUDIODEV = audiodev;
    return { name, command, args: built.args.map(String), extraEnv };
  }
  const wanted = request.recorder ?? 'sox';
  const others = request.recorder ? '' : ` (or \`sudo apt-get install ${RECORDER_PACKAGES.arecord}\` for arecord)`;
  throw new CaptureError(
    'noRecorder',
    `No audio recorder is installed: recording needs ${wanted === 'sox' ? 'SoX' : 'arecord'}. ` +
      `Install it with \`sudo apt-get install ${RECORDER_PACKAGES[wanted]}\`${others}, then try again.`,
  );
}
