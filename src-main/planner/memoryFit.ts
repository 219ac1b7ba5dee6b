/** Does a planned model fit a memory level? Per level, everything the level must hold is summed. */
import type { z } from 'zod';
import type { memoryFitSchema } from '../models/packageMeta';
import { bundledTargets, type MemoryLevel, type Target } from './target';

/** Exactly the objects the package metadata stores under memory.fits. */
export type MemoryFit = z.infer<typeof memoryFitSchema>;

/** The part of a MemoryPlan (or of a package's memory block) that a fit needs. */
export interface MemoryNeeds {
  readonly weightBytes: number;
  /** Multipliers/shifts stored beside the weights; absent (0) when only package metadata is known. */
  readonly quantParamBytes?: number;
  readonly peakActivationBytes: number;
  readonly scratchBytes: number;
}

/**
 * Weights count with their quantization parameters because the device stores both; activations count
 * as the planned arena plus kernel scratch. A level that holds both (GAP8 L1, a Pi cache level) must
 * take their sum, as the TinyM²Net-V3 paper budgets it.
 */
export function requiredBytes(needs: MemoryNeeds, level: MemoryLevel): number {
  const weights = level.holds.includes('weights') ? needs.weightBytes + (needs.quantParamBytes ?? 0) : 0;
  const activations = level.holds.includes('activations') ? needs.peakActivationBytes + needs.scratchBytes : 0;
  return weights + activations;
}

/** One row per level of every target, in file and level order. */
export function fitTargets(needs: MemoryNeeds, targets: readonly Target[]): MemoryFit[] {
  return targets.flatMap((target) =>
    target.levels.map((level) => ({
      target: target.id,
      level: level.id,
      capacityBytes: level.capacityBytes,
      fits: requiredBytes(needs, level) <= level.capacityBytes,
    })),
  );
}

export function targetLevelIds(targets: readonly Target[]): string[] {
  return targets.flatMap((t) => t.levels.map((l) => `${t.id}:${l.id}`));
}

export interface TargetLevel {
  readonly target: Target;
  readonly level: MemoryLevel;
}

/** `gap8:l1` → the target and level; the error lists every valid id. */
export function parseTargetLevel(text: string, targets: readonly Target[] = bundledTargets()): TargetLevel {
  const valid = () => `valid ids: ${targetLevelIds(targets).join(', ')}`;
  const match = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not <target>:<level>; ${valid()}`);
  const target = targets.find((t) => t.id === match[1]);
  if (!target) throw new RangeError(`unknown target "${match[1]}" in "${text}"; ${valid()}`);
  const level = target.levels.find((l) => l.id === match[2]);
  if (!level) throw new RangeError(`target ${target.id} has no memory level "${match[2]}"; ${valid()}`);
  return { target, level };
}
