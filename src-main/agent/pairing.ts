/**
 * Pairing: the agent shows a one-time numeric code (on its console); a studio that sends it back, with
 * its Ed25519 public key, gets a bearer token. Tokens are stored only as SHA-256 hashes.
 *
 * Guessing is bounded by counting wrong codes over a code's whole life, never per time window (a
 * per-minute count let 4 guesses a minute through for ever). Wrong codes are counted from the last
 * successful pairing or burn; a code that expires passes its count on to the next one, so waiting for
 * expiry buys no tries. At `maxFailures` the code is burned, pairing locks for `lockoutMs`, then a fresh
 * code is shown. Each burn in a row doubles the lockout, up to `maxLockoutMs`; a successful pairing (or a
 * restart of the agent by the person at the Pi) resets it.
 *
 * The odds with the defaults: a code is one of 10^6 (6 digits, from the CSPRNG), so one code falls to a
 * guesser with probability at most 5 / 10^6 = 1 in 200 000. Codes cost the guesser a lockout each:
 * 1, 2, 4, … 32 min, then 1 h, so after the first two hours at most 24 codes a day, 120 guesses: about
 * 0.012 % a day and 4 % for a guesser who keeps at it for a whole year. (A fixed 1-minute lockout
 * would allow 7 200 guesses a day, 0.7 %.) Codes also expire after `codeTtlMs` (10 min), so a code read
 * off the console long ago is useless.
 */
import { createHash, createPublicKey, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../storage/atomicFile';

const pairingsFileSchema = z.object({
  studios: z.array(z.object({ tokenSha256: z.string().regex(/^[0-9a-f]{64}$/), studioPublicKey: z.string(), studioName: z.string().optional(), pairedAt: z.string() })),
});
type Pairings = z.infer<typeof pairingsFileSchema>;
export type PairedStudio = Pairings['studios'][number];

export interface PairingPolicy {
  readonly codeDigits: number;
  readonly codeTtlMs: number;
  /** The wrong code that burns a code, counted over its whole life (and across expiry), never per minute. */
  readonly maxFailures: number;
  /** The lockout after the first burn; it doubles with each burn in a row. */
  readonly lockoutMs: number;
  readonly maxLockoutMs: number;
}

export const DEFAULT_PAIRING_POLICY: PairingPolicy = { codeDigits: 6, codeTtlMs: 10 * 60_000, maxFailures: 5, lockoutMs: 60_000, maxLockoutMs: 60 * 60_000 };

export type PairAttempt =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly reason: 'wrong_code' | 'locked' | 'bad_key'; readonly retryAfterSeconds?: number };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Pairing {
  private code: { value: string; expiresAt: number } | undefined;
  /** Wrong codes since the last pairing or burn. */
  private failures = 0;
  /** Burns since the last pairing: the next lockout is lockoutMs × 2^burns. */
  private burns = 0;
  private lockedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private pairings: Pairings;
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly policy: PairingPolicy,
    /** Shows a new code to the person at the Pi (the console). */
    private readonly announce: (code: string, validForMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dataDir, 'pairings.json');
    this.pairings = { studios: [] };
    if (existsSync(this.path)) {
      const parsed = pairingsFileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (!parsed.success) throw new Error(`${this.path}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message} (remove the file and pair the studios again)`);
      this.pairings = parsed.data;
    }
  }

  start(): void {
    this.issueCode();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  private issueCode(): void {
    const value = String(randomInt(0, 10 ** this.policy.codeDigits)).padStart(this.policy.codeDigits, '0');
    this.code = { value, expiresAt: this.now() + this.policy.codeTtlMs };
    this.announce(value, this.policy.codeTtlMs);
    this.schedule(this.policy.codeTtlMs, () => this.issueCode());
  }

  attempt(code: string, studioPublicKey: string, studioName?: string): PairAttempt {
    const t = this.now();
    if (t < this.lockedUntil) return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((this.lockedUntil - t) / 1000) };
    const current = this.code;
    const right = current !== undefined && t < current.expiresAt && code.length === current.value.length && timingSafeEqual(Buffer.from(code), Buffer.from(current.value));
    if (!right) {
      this.failures++;
      if (this.failures >= this.policy.maxFailures) {
        // Burn the code: whoever is guessing must start over against a new one after the lockout.
        const lockout = Math.min(this.policy.maxLockoutMs, this.policy.lockoutMs * 2 ** this.burns);
        this.code = undefined;
        this.failures = 0;
        this.burns++;
        this.lockedUntil = t + lockout;
        this.schedule(lockout, () => this.issueCode());
      }
      return { ok: false, reason: 'wrong_code' };
    }
    try {
      if (createPublicKey(studioPublicKey).asymmetricKeyType !== 'ed25519') return { ok: false, reason: 'bad_key' };
    } catch {
      return { ok: false, reason: 'bad_key' };
    }
    const token = randomBytes(32).toString('base64url');
    this.pairings = { studios: [...this.pairings.studios, { tokenSha256: sha256(token), studioPublicKey, ...(studioName ? { studioName } : {}), pairedAt: new Date(t).toISOString() }] };
    writeFileAtomic(this.path, `${JSON.stringify(this.pairings, null, 2)}\n`, 0o600);
    this.failures = 0;
    this.burns = 0;
    // One-time: the next studio needs a new code.
    this.issueCode();
    return { ok: true, token };
  }

  /** The paired studio a bearer token belongs to, or undefined. */
  studioFor(authorization: string | undefined): PairedStudio | undefined {
    const m = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(authorization ?? '');
    if (!m) return undefined;
    const h = Buffer.from(sha256(m[1]!), 'hex');
    return this.pairings.studios.find((s) => timingSafeEqual(Buffer.from(s.tokenSha256, 'hex'), h));
  }
}
