import { seededRandom } from '../train/random';
import type { Dataset } from './dataset';
import { DatasetError } from './datasetError';

/**
 * Participant-grouped, label-stratified k-fold cross-validation. With a few dozen participants a single
 * held-out set is too noisy to trust, and any recording of a test participant seen in training lets a
 * model recognise the voice instead of the condition; so whole participants go to one fold each, and each
 * fold gets as even a share of every label as whole participants allow.
 */
export interface SplitItem {
  /** The participant; items of one group always land in the same fold. */
  readonly group: string;
  readonly label: string;
}

export interface Fold {
  readonly index: number;
  /** Participants held out in this fold, sorted. */
  readonly groups: readonly string[];
  /** Participants per label in this fold. */
  readonly labelCounts: Readonly<Record<string, number>>;
}

export interface KFoldOptions {
  readonly k: number;
  readonly seed: number;
}

export const DEFAULT_FOLDS = 5;
export const DEFAULT_SPLIT_SEED = 2020;

export class SplitError extends Error {
  override readonly name = 'SplitError';
}

export function groupedStratifiedKFold(items: readonly SplitItem[], options: KFoldOptions): Fold[] {
  const { k, seed } = options;
  const labelOf = new Map<string, string>();
  for (const { group, label } of items) {
    const seen = labelOf.get(group);
    if (seen !== undefined && seen !== label) throw new SplitError(`participant ${group} has two labels ("${seen}" and "${label}"); a participant must have one`);
    labelOf.set(group, label);
  }
  if (!Number.isInteger(k) || k < 2) throw new SplitError(`the number of folds must be an integer ≥ 2 (got ${k})`);
  if (labelOf.size < k) throw new SplitError(`${k} folds need at least ${k} participants (got ${labelOf.size})`);

  const byLabel = new Map<string, string[]>();
  for (const [group, label] of labelOf) byLabel.set(label, [...(byLabel.get(label) ?? []), group]);
  // Rarest label first: it is the one whose spread across folds is hardest to keep even.
  const labels = [...byLabel.keys()].sort((a, b) => byLabel.get(a)!.length - byLabel.get(b)!.length || a.localeCompare(b));
  const random = seededRandom(seed);
  const folds = Array.from({ length: k }, () => ({ groups: [] as string[], counts: new Map<string, number>() }));
  for (const label of labels) {
    // Sorting first makes the shuffle depend on the seed only, not on the order the data was listed in.
    const groups = byLabel.get(label)!.slice().sort();
    for (let i = groups.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [groups[i], groups[j]] = [groups[j]!, groups[i]!];
    }
    for (const group of groups) {
      // Fewest of this label, then the smallest fold overall, then a seeded tie-break: the per-label
      // counts differ by at most one and the fold sizes stay as close as the labels allow.
      let best = -1;
      let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
      for (let f = 0; f < k; f++) {
        const key: [number, number, number] = [folds[f]!.counts.get(label) ?? 0, folds[f]!.groups.length, random.next()];
        if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
          best = f;
          bestKey = key;
        }
      }
      folds[best]!.groups.push(group);
      folds[best]!.counts.set(label, (folds[best]!.counts.get(label) ?? 0) + 1);
    }
  }
  return folds.map((f, index) => ({
    index,
    groups: f.groups.slice().sort(),
    labelCounts: Object.fromEntries(labels.map((l) => [l, f.counts.get(l) ?? 0])),
  }));
}

/** The participants a data set's folds are made of, with the reason any were left out. */
export interface DatasetFolds {
  readonly column: string;
  readonly folds: readonly Fold[];
  /** Participants without a value in the label column; they cannot be stratified and are left out. */
  readonly unlabelled: readonly string[];
}

export function datasetFolds(dataset: Dataset, column: string, options: KFoldOptions = { k: DEFAULT_FOLDS, seed: DEFAULT_SPLIT_SEED }): DatasetFolds {
  if (!dataset.labelColumns.includes(column)) throw new DatasetError(dataset.root, `no label column "${column}" (columns: ${dataset.labelColumns.join(', ')})`);
  const items: SplitItem[] = [];
  const unlabelled: string[] = [];
  for (const s of dataset.subjects) {
    const label = s.labels[column];
    if (label === undefined || label === '') unlabelled.push(s.id);
    else items.push({ group: s.id, label });
  }
  return { column, folds: groupedStratifiedKFold(items, options), unlabelled };
}

/** The three parts of a fixed split, as Coswara's split.csv names them. */
export type SplitPart = 'train' | 'val' | 'test';
const PARTS: readonly SplitPart[] = ['train', 'val', 'test'];

export interface FixedSplit {
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
  /** Participants with no entry in the split column. */
  readonly unassigned: readonly string[];
}

/**
 * The data set's own fixed split, from its `split` column (for Coswara, split.csv, merged in by the
 * loader). A value other than train/val/test is an error naming the participant: silently dropping a
 * test participant into training is exactly the leak the split exists to prevent.
 */
export function fixedSplit(dataset: Dataset, column = 'split'): FixedSplit {
  if (!dataset.labelColumns.includes(column)) throw new DatasetError(dataset.root, `no "${column}" column: this data set has no fixed split (use k-fold splitting instead)`);
  const parts: Record<SplitPart, string[]> = { train: [], val: [], test: [] };
  const unassigned: string[] = [];
  for (const s of dataset.subjects) {
    const v = s.labels[column]?.trim().toLowerCase();
    if (!v) unassigned.push(s.id);
    else if ((PARTS as readonly string[]).includes(v)) parts[v as SplitPart].push(s.id);
    else throw new DatasetError(dataset.root, `participant ${s.id}: split "${s.labels[column]}" is not one of ${PARTS.join(', ')}`);
  }
  return { train: parts.train.sort(), val: parts.val.sort(), test: parts.test.sort(), unassigned: unassigned.sort() };
}
