/**
 * The floor under an upload's speed. An upload holds the device's one deploy slot, so a studio on a
 * dying link (or someone with a token dripping bytes on purpose) must not keep it: once the first
 * `windowMs` have passed (the grace for connection set-up and TCP slow start), every check averages the
 * bytes of the last `windowMs`, and fewer than `minBytesPerSecond` stop the upload. A sliding window, not
 * the average since the start: a fast first megabyte must not buy minutes of silence afterwards.
 *
 * Time the agent spends on its own work (an fsync on a slow SD card) is held out of the measure, so the
 * client is never blamed for the device's disk.
 */

export interface UploadPacePolicy {
  readonly minBytesPerSecond: number;
  /** The grace period before the first check, and the span each check averages over. */
  readonly windowMs: number;
}

export const DEFAULT_UPLOAD_PACE: UploadPacePolicy = { minBytesPerSecond: 16 * 1024, windowMs: 5000 };

export interface PaceWatch {
  /** Stops the clock during the agent's own work; resume with the function it returns. */
  hold(): () => void;
  stop(): void;
}

/**
 * Calls `tooSlow` (once) with the measured rate when the upload falls under the floor. `received` reads
 * the bytes that have arrived so far.
 */
export function watchUploadPace(policy: UploadPacePolicy, received: () => number, tooSlow: (bytesPerSecond: number) => void): PaceWatch {
  let heldMs = 0;
  let heldSince: number | undefined;
  // The pace clock: wall time minus the time the agent held it.
  const clock = () => performance.now() - heldMs - (heldSince === undefined ? 0 : performance.now() - heldSince);
  const samples: { t: number; bytes: number }[] = [{ t: clock(), bytes: received() }];
  // Several checks per window, so a stall is caught within about a fifth of a window of its limit.
  const timer = setInterval(check, Math.max(20, Math.min(1000, policy.windowMs / 5)));
  let stopped = false;

  function check(): void {
    if (heldSince !== undefined) return;
    const t = clock();
    const bytes = received();
    samples.push({ t, bytes });
    // Keep exactly one sample at or before the window's start, the base of the average.
    while (samples.length > 2 && t - samples[1]!.t >= policy.windowMs) samples.shift();
    const base = samples[0]!;
    if (t - base.t < policy.windowMs) return;
    const rate = ((bytes - base.bytes) * 1000) / (t - base.t);
    if (rate < policy.minBytesPerSecond) {
      stop();
      tooSlow(rate);
    }
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
  }

  return {
    hold() {
      if (heldSince !== undefined) return () => undefined;
      heldSince = performance.now();
      return () => {
        if (heldSince === undefined) return;
        heldMs += performance.now() - heldSince;
        heldSince = undefined;
      };
    },
    stop,
  };
}
