/**
 * Pairing: the agent shows a one-time numeric code (on its console); a studio that sends it back, with
 * its Ed25519 public key, gets a bearer token. Guessing is bounded: after `maxFailures` wrong codes within
 * a minute the code is burned and pairing is locked for `lockoutMs`, then a fresh code is shown. Codes
 * also expire. Tokens are stored only as SHA-256 hashes.
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
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  readonly lockoutMs: number;
}

export const DEFAULT_PAIRING_POLICY: PairingPolicy = { codeDigits: 6, codeTtlMs: 10 * 60_000, maxFailures: 5, failureWindowMs: 60_000, lockoutMs: 60_000 };

export type PairAttempt =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly reason: 'wrong_code' | 'locked' | 'bad_key'; readonly retryAfterSeconds?: number };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Pairing {
  private code: { value: string; expiresAt: number } | undefined;
  private failures: number[] = [];
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
      this.failures = [...this.failures.filter((f) => t - f < this.policy.failureWindowMs), t];
      if (this.failures.length >= this.policy.maxFailures) {
        // Burn the code: whoever is guessing must start over against a new one after the lockout.
        this.code = undefined;
        this.failures = [];
        this.lockedUntil = t + this.policy.lockoutMs;
        this.schedule(this.policy.lockoutMs, () => this.issueCode());
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
    this.failures = [];
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
