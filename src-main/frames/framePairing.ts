import { basename } from 'node:path';
import { FrameError } from './frameError';

/** One depth frame and the thermal frame taken with it. */
export interface FramePair {
  /** Shared name stem (by-name pairing) or the depth frame's timestamp (by-time pairing). */
  readonly key: string;
  readonly depth: string;
  readonly thermal: string;
  /** Thermal minus depth capture time, by-time pairing only. */
  readonly dtMs?: number;
}

export interface Pairing {
  readonly pairs: FramePair[];
  readonly unpairedDepth: string[];
  readonly unpairedThermal: string[];
}

const ROLE = /^(.*?)[_.-](depth|thermal)$/i;

/** Splits a file name into its pairing stem and role: `0042_depth.png` → { stem: '0042', role: 'depth' }. */
export function frameRole(file: string): { stem: string; role: 'depth' | 'thermal' | undefined } {
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  const noExt = dot > 0 ? name.slice(0, dot) : name;
  const m = ROLE.exec(noExt);
  if (!m) return { stem: noExt, role: undefined };
  return { stem: m[1]!, role: m[2]!.toLowerCase() as 'depth' | 'thermal' };
}

/** Separates a mixed listing into depth and thermal files by their `_depth` / `_thermal` suffix. */
export function splitByRole(files: readonly string[]): { depth: string[]; thermal: string[]; other: string[] } {
  const out = { depth: [] as string[], thermal: [] as string[], other: [] as string[] };
  for (const f of files) {
    const role = frameRole(f).role;
    (role === 'depth' ? out.depth : role === 'thermal' ? out.thermal : out.other).push(f);
  }
  return out;
}

/** Pairs frames whose names agree once the `_depth` / `_thermal` suffix and extension are removed. */
export function pairByName(depthFiles: readonly string[], thermalFiles: readonly string[]): Pairing {
  const thermalByStem = new Map<string, string>();
  const unpairedThermal: string[] = [];
  for (const t of thermalFiles) {
    const stem = frameRole(t).stem;
    if (thermalByStem.has(stem)) unpairedThermal.push(t);
    else thermalByStem.set(stem, t);
  }
  const pairs: FramePair[] = [];
  const unpairedDepth: string[] = [];
  for (const d of depthFiles) {
    const stem = frameRole(d).stem;
    const t = thermalByStem.get(stem);
    if (t === undefined) unpairedDepth.push(d);
    else {
      pairs.push({ key: stem, depth: d, thermal: t });
      thermalByStem.delete(stem);
    }
  }
  unpairedThermal.push(...thermalByStem.values());
  return { pairs, unpairedDepth, unpairedThermal };
}

/**
 * Reads a capture time from a file name: the last number in it. A decimal point means seconds
 * (`thermal_1700000000.125.csv`); 10–12 digits are Unix seconds, 13–15 milliseconds, 16–18 microseconds,
 * 19+ nanoseconds; shorter integers are taken as milliseconds on the recorder's own clock.
 */
export function timestampFromName(file: string): number | undefined {
  const name = basename(file).replace(/\.(png|csv|txt|f32|raw|bin)$/i, '');
  const all = name.match(/\d+(?:\.\d+)?/g);
  if (!all) return undefined;
  const t = all[all.length - 1]!;
  if (t.includes('.')) return Number(t) * 1000;
  const n = Number(t);
  if (t.length >= 19) return n / 1e6;
  if (t.length >= 16) return n / 1e3;
  if (t.length >= 13) return n;
  if (t.length >= 10) return n * 1000;
  return n;
}

/**
 * Pairs frames by capture time: the closest depth/thermal times are matched first, each frame used at
 * most once, and nothing further apart than `toleranceMs` (two sensors at different frame rates
 * leave the faster one's extra frames unpaired, which is correct).
 */
export function pairByTimestamp(depthFiles: readonly string[], thermalFiles: readonly string[], toleranceMs: number): Pairing {
  const stamp = (files: readonly string[]) => files.map((f) => ({ f, t: timestampFromName(f) }));
  const depth = stamp(depthFiles);
  const thermal = stamp(thermalFiles).filter((x) => x.t !== undefined).sort((a, b) => a.t! - b.t!);
  const candidates: { d: number; th: number; dt: number }[] = [];
  depth.forEach(({ t }, d) => {
    if (t === undefined) return;
    let lo = 0;
    let hi = thermal.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (thermal[mid]!.t! < t - toleranceMs) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < thermal.length && thermal[k]!.t! <= t + toleranceMs; k++) candidates.push({ d, th: k, dt: thermal[k]!.t! - t });
  });
  candidates.sort((a, b) => Math.abs(a.dt) - Math.abs(b.dt) || a.d - b.d);
  const usedD = new Set<number>();
  const usedT = new Set<number>();
  const pairs: (FramePair & { order: number })[] = [];
  for (const c of candidates) {
    if (usedD.has(c.d) || usedT.has(c.th)) continue;
    usedD.add(c.d);
    usedT.add(c.th);
    pairs.push({ key: String(depth[c.d]!.t), depth: depth[c.d]!.f, thermal: thermal[c.th]!.f, dtMs: c.dt, order: c.d });
  }
  pairs.sort((a, b) => a.order - b.order);
  return {
    pairs: pairs.map(({ order: _order, ...p }) => p),
    unpairedDepth: depth.filter((_, i) => !usedD.has(i)).map((x) => x.f),
    unpairedThermal: [
      ...stamp(thermalFiles).filter((x) => x.t === undefined).map((x) => x.f),
      ...thermal.filter((_, i) => !usedT.has(i)).map((x) => x.f),
    ],
  };
}

/** For callers that need every frame paired: throws for the first frame left alone, naming it. */
export function requireAllPaired(p: Pairing): FramePair[] {
  const d = p.unpairedDepth[0];
  if (d !== undefined) throw new FrameError(d, 'unpaired', 'depth frame has no matching thermal frame');
  const t = p.unpairedThermal[0];
  if (t !== undefined) throw new FrameError(t, 'unpaired', 'thermal frame has no matching depth frame');
  return p.pairs;
}
