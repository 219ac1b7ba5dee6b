/**
 * The Pis this studio is paired with: address, pinned certificate fingerprint, bearer token and agent id,
 * in `<app data>/devices/pis.json` (owner-only, replaced atomically).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../storage/atomicFile';
import type { PiAddress } from './piAddress';

export const pairedPiSchema = z.object({
  agentId: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  fingerprint256: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
  token: z.string().min(32),
  name: z.string().optional(),
  pairedAt: z.string(),
});
export type PairedPi = z.infer<typeof pairedPiSchema>;

const fileSchema = z.object({ pis: z.array(pairedPiSchema) });

const storePath = (dataDir: string) => join(dataDir, 'devices', 'pis.json');

export function loadPairedPis(dataDir: string): PairedPi[] {
  const path = storePath(dataDir);
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); remove the file and pair the Pis again`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message}`);
  return parsed.data.pis;
}

function save(dataDir: string, pis: readonly PairedPi[]): void {
  writeFileAtomic(storePath(dataDir), `${JSON.stringify({ pis }, null, 2)}\n`, 0o600);
}

const sameAddress = (p: PairedPi, a: PiAddress) => p.host === a.host && p.port === a.port;

/** One entry per address and per agent: pairing again replaces the old entry. */
export function rememberPairedPi(dataDir: string, pi: PairedPi): void {
  save(dataDir, [...loadPairedPis(dataDir).filter((p) => !sameAddress(p, pi) && p.agentId !== pi.agentId), pi]);
}

export function forgetPairedPi(dataDir: string, a: PiAddress): boolean {
  const all = loadPairedPis(dataDir);
  const kept = all.filter((p) => !sameAddress(p, a));
  if (kept.length !== all.length) save(dataDir, kept);
  return kept.length !== all.length;
}

export function findPairedPi(dataDir: string, a: PiAddress): PairedPi | undefined {
  return loadPairedPis(dataDir).find((p) => sameAddress(p, a));
}
