/**
 * Deployment targets as data (resources/targets/*.json): each names its memory levels, their capacity
 * and what must fit in them, with the documents the numbers come from. Adding a board is adding a file.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { resolveAppPaths } from '../storage/appPaths';

const idPattern = /^[a-z0-9][a-z0-9-]*$/;
const idMessage = 'lower-case letters, digits and dashes';

export const memoryLevelSchema = z.object({
  /** Used as `<target>:<level>`, e.g. `gap8:l1`. */
  id: z.string().regex(idPattern, idMessage),
  name: z.string().min(1),
  capacityBytes: z.number().int().positive(),
  /** What must fit in this level together: weights (with their quantization parameters), activations (arena + scratch), or both. */
  holds: z.array(z.enum(['weights', 'activations'])).min(1),
  note: z.string().optional(),
});

export const targetSchema = z.object({
  id: z.string().regex(idPattern, idMessage),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Where the capacities come from: datasheets, reference manuals, vendor documentation. */
  sources: z.array(z.object({ title: z.string().min(1), url: z.url().optional() })).min(1),
  levels: z
    .array(memoryLevelSchema)
    .min(1)
    .refine((levels) => new Set(levels.map((l) => l.id)).size === levels.length, 'level ids must be unique'),
});

export type MemoryLevel = z.infer<typeof memoryLevelSchema>;
export type Target = z.infer<typeof targetSchema>;

export class TargetFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field ? `field '${field}': ` : ''}${message}`);
    this.name = 'TargetFileError';
  }
}

export function parseTarget(json: unknown, file: string): Target {
  const parsed = targetSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TargetFileError(file, issue.path.join('.') || '(root)', issue.message);
  }
  // The file name is how people find a target, so it must agree with the id they type.
  const expected = basename(file).replace(/\.json$/, '');
  if (parsed.data.id !== expected) throw new TargetFileError(file, 'id', `is "${parsed.data.id}" but the file is named ${expected}.json`);
  return parsed.data;
}

export function loadTargetFile(file: string): Target {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TargetFileError(file, '', `cannot read the target file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TargetFileError(file, '', `not valid JSON (${(error as Error).message})`);
  }
  return parseTarget(json, file);
}

/** Every *.json in `dir`, sorted by file name. */
export function loadTargets(dir: string): Target[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new TargetFileError(dir, '', `cannot list the targets folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return names.map((n) => loadTargetFile(join(dir, n)));
}

export function bundledTargetsDir(): string {
  return join(resolveAppPaths().resourcesDir, 'targets');
}

export function bundledTargets(): Target[] {
  return loadTargets(bundledTargetsDir());
}
