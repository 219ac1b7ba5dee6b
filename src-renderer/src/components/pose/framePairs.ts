/**
 * Sorting several chosen files into depth/thermal pairs by name, the rule of src-main/frames/framePairing.ts
 * (`0042_depth.png` + `0042_thermal.png`), repeated here because that module pulls in Node's path library.
 */
const ROLE = /^(.*?)[_.-](depth|thermal)$/i;

export interface ChosenPair {
  readonly key: string;
  readonly depth?: File;
  readonly thermal?: File;
}

export function frameRoleOf(name: string): { stem: string; role: 'depth' | 'thermal' | undefined } {
  const dot = name.lastIndexOf('.');
  const noExt = dot > 0 ? name.slice(0, dot) : name;
  const m = ROLE.exec(noExt);
  return m ? { stem: m[1]!, role: m[2]!.toLowerCase() as 'depth' | 'thermal' } : { stem: noExt, role: undefined };
}

/** Pairs by stem; a lone frame keeps its own entry (the model can answer from one sensor), unknown names are returned apart. */
export function pairChosenFiles(files: readonly File[]): { pairs: ChosenPair[]; unknown: File[] } {
  const byStem = new Map<string, { depth?: File; thermal?: File }>();
  const unknown: File[] = [];
  for (const f of files) {
    const { stem, role } = frameRoleOf(f.name);
    if (!role) {
      unknown.push(f);
      continue;
    }
    const entry = byStem.get(stem) ?? {};
    if (!entry[role]) entry[role] = f;
    byStem.set(stem, entry);
  }
  const pairs = [...byStem.entries()].map(([key, p]) => ({ key, ...p })).sort((a, b) => Number(!(b.depth && b.thermal)) - Number(!(a.depth && a.thermal)) || a.key.localeCompare(b.key));
  return { pairs, unknown };
}
