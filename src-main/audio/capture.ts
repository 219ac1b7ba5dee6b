import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ModalitySpec } from '../models/packageMeta';
import { recorderCommand, type RecorderName } from './captureBackend';
import { takeSeconds } from './captureDurations';
import { CaptureError } from './captureError';
import { LevelMeter, type LevelReading } from './levelMeter';
import { assessTake, type TakeQuality } from './takeQuality';
import { MODEL_SAMPLE_RATE } from './wavImport';

/** A level reading tagged with its take: the payload of the API's `audio.level` event. */
export interface LevelEvent extends LevelReading {
  readonly takeId: string;
}

export interface TakeOptions {
  readonly modality: string;
  /** The model's spec for this modality; its durationSeconds sets the take length. */
  readonly spec?: Pick<ModalitySpec, 'durationSeconds'>;
  /** Overrides every other source of the duration. */
  readonly seconds?: number;
  readonly takeId?: string;
  /**
   * Environment of the recorder process; the app's own when absent. Its PATH is where the recorder is looked
   * for; PULSE_SERVER / XDG_RUNTIME_DIR choose the sound server.
   */
  readonly env?: NodeJS.ProcessEnv;
  readonly device?: string;
  readonly recorder?: RecorderName;
  /** How long to wait for the first audio before giving up (the PulseAudio ALSA plugin can take ~2 s). */
  readonly startTimeoutMs?: number;
  readonly onLevel?: (event: LevelEvent) => void;
}

export interface TakeResult {
  readonly takeId: string;
  readonly modality: string;
  readonly recorder: RecorderName;
  /** Mono floats in [-1, 1] at 16 kHz. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly durationSeconds: number;
  readonly expectedSeconds: number;
  readonly stoppedEarly: boolean;
  readonly quality: TakeQuality;
}

export const DEFAULT_START_TIMEOUT_MS = 10_000;
/** A recorder that ignores SIGTERM this long is killed outright. */
const KILL_GRACE_MS = 2_000;
const STDERR_KEEP = 2_000;

/** Every recorder still running, so none outlives the app, even on an unexpected exit. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('close', () => running.delete(child));
}

/** How many recorder processes are alive (tests assert that none are left behind). */
export function runningRecorders(): number {
  return running.size;
}

type State = 'starting' | 'recording' | 'finishing' | 'done';

/**
 * One microphone take of a fixed length: spawns the recorder, meters it live, and resolves with 16 kHz
 * samples and a quality report once the planned duration is in (or `stop()` is called). Emits 'level'
 * about 20 times a second. The result settles only after the recorder process has exited.
 */
export class Take extends EventEmitter<{ level: [LevelEvent] }> {
  readonly takeId: string;
  readonly modality: string;
  readonly recorder: RecorderName;
  readonly expectedSeconds: number;
  readonly result: Promise<TakeResult>;

  private readonly child: ChildProcess;
  private readonly pcm: Int16Array;
  private readonly meter = new LevelMeter(MODEL_SAMPLE_RATE);
  private collected = 0;
  private oddByte: number | undefined;
  private state: State = 'starting';
  private stoppedEarly = false;
  private failure: CaptureError | undefined;
  private stderr = '';
  private startTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private settle!: { resolve: (r: TakeResult) => void; reject: (e: Error) => void };

  /** Throws CaptureError('noRecorder') at once when no recorder is installed. */
  constructor(options: TakeOptions) {
    super();
    this.takeId = options.takeId ?? randomUUID();
    this.modality = options.modality;
    this.expectedSeconds = options.seconds ?? takeSeconds(options.modality, options.spec);
    if (!(this.expectedSeconds > 0 && this.expectedSeconds <= 600)) throw new RangeError(`take duration must be in (0, 600] s (got ${this.expectedSeconds})`);
    const env = options.env ?? process.env;
    const cmd = recorderCommand({ sampleRate: MODEL_SAMPLE_RATE, device: options.device, recorder: options.recorder, searchPath: env.PATH ?? '' });
    this.recorder = cmd.name;
    this.pcm = new Int16Array(Math.round(this.expectedSeconds * MODEL_SAMPLE_RATE));
    if (options.onLevel) this.on('level', options.onLevel);
    this.result = new Promise<TakeResult>((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be awaiting yet; the rejection is still delivered to whoever awaits `result` later.
    this.result.catch(() => undefined);

    this.child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...cmd.extraEnv } });
    track(this.child);
    this.child.stdout!.on('data', (chunk: Buffer) => this.onAudio(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.child.on('error', (e) => this.fail(new CaptureError('recorderDied', `${cmd.name} could not be started: ${e.message}`)));
    this.child.on('close', (code, signal) => this.onClose(code, signal));
    this.startTimer = setTimeout(() => {
      this.fail(
        new CaptureError('noSignal', `The microphone delivered no sound within ${((options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) / 1000).toFixed(0)} s — check that it is connected and not in use by another program.${this.stderrHint()}`),
      );
    }, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  }

  /** Ends the take now and keeps what was recorded so far (the quality report will say if it is too short). */
  stop(): void {
    if (this.state === 'starting' || this.state === 'recording') {
      this.stoppedEarly = true;
      this.finish();
    }
  }

  /** Seconds recorded so far. */
  get seconds(): number {
    return this.collected / MODEL_SAMPLE_RATE;
  }

  private onAudio(chunk: Buffer): void {
    if (this.state !== 'starting' && this.state !== 'recording') return;
    if (this.state === 'starting') {
      this.state = 'recording';
      clearTimeout(this.startTimer);
    }
    let bytes = chunk;
    if (this.oddByte !== undefined) {
      bytes = Buffer.concat([Buffer.from([this.oddByte]), chunk]);
      this.oddByte = undefined;
    }
    const whole = bytes.length & ~1;
    if (whole < bytes.length) this.oddByte = bytes[bytes.length - 1];
    const room = this.pcm.length - this.collected;
    const count = Math.min(room, whole >> 1);
    const floats = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = bytes.readInt16LE(i << 1);
      this.pcm[this.collected + i] = v;
      floats[i] = v / 32768;
    }
    this.collected += count;
    for (const reading of this.meter.push(floats)) this.emit('level', { takeId: this.takeId, ...reading });
    if (this.collected >= this.pcm.length) this.finish();
  }

  private finish(): void {
    if (this.state === 'finishing' || this.state === 'done') return;
    if (this.stoppedEarly) {
      const last = this.meter.flush();
      if (last) this.emit('level', { takeId: this.takeId, ...last });
    }
    this.state = 'finishing';
    this.terminate();
  }

  private fail(error: CaptureError): void {
    if (this.state === 'done' || this.failure) return;
    this.failure = error;
    this.state = 'finishing';
    this.terminate();
  }

  private terminate(): void {
    clearTimeout(this.startTimer);
    // A recorder that failed to spawn has no pid and may never emit 'close'.
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) {
      this.complete();
      return;
    }
    this.child.kill('SIGTERM');
    this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS);
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.startTimer);
    clearTimeout(this.killTimer);
    if (this.state === 'starting' || this.state === 'recording') {
      // The recorder ended on its own: it never does that before we stop it, so something went wrong.
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      this.failure =
        this.collected === 0
          ? new CaptureError('noDevice', `The recorder (${this.recorder}) could not open the microphone: it ${how}.${this.stderrHint()} Check that a microphone is connected and that this program may use it.`)
          : new CaptureError('recorderDied', `The recorder (${this.recorder}) stopped after ${this.seconds.toFixed(1)} s of the ${this.expectedSeconds} s take: it ${how}.${this.stderrHint()} Check the microphone is still connected and record again.`);
    }
    this.complete();
  }

  private complete(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    if (this.failure) {
      this.settle.reject(this.failure);
      return;
    }
    const samples = new Float32Array(this.collected);
    for (let i = 0; i < this.collected; i++) samples[i] = this.pcm[i]! / 32768;
    this.settle.resolve({
      takeId: this.takeId,
      modality: this.modality,
      recorder: this.recorder,
      samples,
      sampleRate: MODEL_SAMPLE_RATE,
      durationSeconds: this.collected / MODEL_SAMPLE_RATE,
      expectedSeconds: this.expectedSeconds,
      stoppedEarly: this.stoppedEarly,
      quality: assessTake(samples, MODEL_SAMPLE_RATE, { expectedSeconds: this.expectedSeconds }),
    });
  }

  private stderrHint(): string {
    const lines = this.stderr
      .split('\n')
      .map((l) => l.trim())
      // SoX warns about the PulseAudio ALSA plugin's format on every start; it means nothing.
      .filter((l) => l && !/can't encode 0-bit/.test(l));
    return lines.length ? ` (${this.recorder} said: ${lines.slice(-2).join(' / ')})` : '';
  }
}

/** Starts a take; see `Take`. Throws CaptureError('noRecorder') when neither SoX nor arecord is installed. */
export function startTake(options: TakeOptions): Take {
  return new Take(options);
}
