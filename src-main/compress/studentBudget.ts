/**
 * What a candidate architecture costs once it is int8, measured before any training: weight bytes and
 * peak activations depend only on the shapes, so the search discards candidates that cannot fit the
 * chosen memory level without spending a second on them.
 */
import type { BuiltArchitecture } from '../model/architecture';
import { planMemory, type MemoryPlan } from '../planner/planMemory';
import { requiredBytes } from '../planner/memoryFit';
import type { TargetLevel } from '../planner/memoryFit';
import { initWeights } from '../train/initWeights';
import { foldBatchNorm } from './foldBatchNorm';
import type { CalibrationRanges } from './calibrate';
import { quantizeModel } from './quantize';
import { allLayers } from '../model/architecture';

export interface StudentBudget {
  readonly level: TargetLevel;
  /** An extra cap on int8 weight bytes (e.g. the paper's 6 KB audio model), besides the level's capacity. */
  readonly maxWeightBytes?: number;
}

export interface CandidateCost {
  readonly weightBytes: number;
  readonly quantParamBytes: number;
  readonly peakActivationBytes: number;
  readonly requiredBytes: number;
  readonly fits: boolean;
  readonly why?: string;
  readonly plan: MemoryPlan;
}

/** Unit ranges for every traced tensor: enough to build the graph whose sizes we want. */
function placeholderRanges(arch: BuiltArchitecture): CalibrationRanges {
  const names = [
    ...arch.branches.map((b) => `${b.modality}/input`),
    ...allLayers(arch).flatMap((l) => (l.kind === 'separableConv2d' ? [l.name, `${l.name}/depthwise`] : [l.name])),
    'fusion',
  ];
  return new Map(names.map((n) => [n, { min: -1, max: 1 }]));
}

export function candidateCost(arch: BuiltArchitecture, budget: StudentBudget): CandidateCost {
  const graph = quantizeModel(arch, foldBatchNorm(arch, initWeights(arch, 0)), placeholderRanges(arch));
  const plan = planMemory(graph);
  const needs = { weightBytes: plan.weightBytes, quantParamBytes: plan.quantParamBytes, peakActivationBytes: plan.peakActivationBytes, scratchBytes: plan.scratchBytes };
  const required = requiredBytes(needs, budget.level.level);
  const levelId = `${budget.level.target.id}:${budget.level.level.id}`;
  let why: string | undefined;
  if (budget.maxWeightBytes !== undefined && plan.weightBytes > budget.maxWeightBytes) why = `${plan.weightBytes} B of weights exceed the ${budget.maxWeightBytes} B cap`;
  else if (required > budget.level.level.capacityBytes) why = `${required} B needed, ${levelId} holds ${budget.level.level.capacityBytes} B`;
  return { weightBytes: plan.weightBytes, quantParamBytes: plan.quantParamBytes, peakActivationBytes: plan.peakActivationBytes, requiredBytes: required, fits: !why, ...(why ? { why } : {}), plan };
}
