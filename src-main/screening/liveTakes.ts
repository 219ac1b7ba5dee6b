/**
 * Microphone takes in progress, by take id. One take at a time (one microphone, one person in front of
 * it); levels go out as `audio.level` events while it records, and the finished take is stored like a
 * loaded file so the rest of the screening cannot tell the two apart.
 */
import { startTake, type Take } from '../audio/capture';
import { CaptureError } from '../audio/captureError';
import type { TakeReport } from '../api/contract';
import type { EventBus } from '../api/eventBus';
import type { TakeStore } from './takeStore';

export class CaptureBusyError extends Error {
  override readonly name = 'CaptureBusyError';
}

export class LiveTakes {
  private readonly takes = new Map<string, { take: Take; report: Promise<TakeReport> }>();
  private current: Take | undefined;

  constructor(
    private readonly store: TakeStore,
    private readonly events: EventBus,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Throws CaptureError (no recorder) or CaptureBusyError; recording failures surface from `result`. */
  start(modality: string, seconds: number): Take {
    if (this.current) throw new CaptureBusyError(`a ${this.current.modality} take is still recording: stop it first`);
    const take = startTake({ modality, seconds, env: this.env, onLevel: (e) => this.events.emit('audio.level', e) });
    this.current = take;
    const report = take.result.then(
      (r) => this.store.saveSamples(r.takeId, r.modality, r.stoppedEarly ? 'microphone (stopped early)' : 'microphone', r.samples, r.sampleRate, r.quality),
      (e: unknown) => {
        throw e instanceof CaptureError ? e : new CaptureError('recorderDied', e instanceof Error ? e.message : String(e));
      },
    );
    report.catch(() => undefined);
    void report.finally(() => {
      if (this.current === take) this.current = undefined;
    }).catch(() => undefined);
    this.takes.set(take.takeId, { take, report });
    return take;
  }

  /** False when the take is not recording (already done, or unknown). */
  stop(takeId: string): boolean {
    const entry = this.takes.get(takeId);
    if (!entry || this.current !== entry.take) return false;
    entry.take.stop();
    return true;
  }

  /** Waits for a live take to finish; a take from earlier (or a loaded file) comes from the store. */
  async result(takeId: string): Promise<TakeReport> {
    const entry = this.takes.get(takeId);
    return entry ? entry.report : this.store.report(takeId);
  }
}
