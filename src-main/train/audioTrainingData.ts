/**
 * A labelled audio data set → the pipeline's three participant-disjoint parts: the data set's own fixed
 * split when it has one (Coswara's split.csv), otherwise participant-grouped stratified folds (one for
 * test, one for validation, the rest for training). Training gets several crops per recording,
 * validation and test the centre crop that inference uses.
 */
import { audioSamples, silenceValue, type AudioModalityFeatures, type AudioSamples } from '../datasets/audioSamples';
import type { Dataset } from '../datasets/dataset';
import { DEFAULT_SPLIT_SEED, fixedSplit, groupedStratifiedKFold } from '../datasets/split';
import type { PipelineData } from '../compress/pipeline';
import { logMelAugmenter } from './augment';
import type { FeatureCache } from './featureCache';
import { indicesOfGroups, subset } from './sampleSet';

export interface AudioTrainingOptions {
  readonly modalities: readonly AudioModalityFeatures[];
  readonly labelColumn: string;
  readonly labels?: readonly string[];
  readonly labelMap?: Readonly<Record<string, string>>;
  readonly cache?: FeatureCache;
  readonly crops?: number;
  readonly splitSeed?: number;
  /** Reuse an earlier split (e.g. the one `tinym2 train` recorded) instead of deriving one. */
  readonly split?: AudioTrainingData['split'];
  readonly onProgress?: (done: number, total: number) => void;
}

export interface AudioTrainingData {
  readonly data: PipelineData;
  readonly labels: readonly string[];
  readonly split: { readonly kind: 'fixed' | 'folds'; readonly train: readonly string[]; readonly val: readonly string[]; readonly test: readonly string[] };
  readonly samples: AudioSamples;
}

export async function prepareAudioTrainingData(dataset: Dataset, o: AudioTrainingOptions): Promise<AudioTrainingData> {
  const spec = { modalities: o.modalities, labelColumn: o.labelColumn, ...(o.labels ? { labels: o.labels } : {}), ...(o.labelMap ? { labelMap: o.labelMap } : {}), ...(o.cache ? { cache: o.cache } : {}) };
  const centre = await audioSamples(dataset, { ...spec, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const crops = (o.crops ?? 1) > 1 ? await audioSamples(dataset, { ...spec, labels: centre.labels, crops: o.crops! }) : centre;
  const usable = new Set(centre.set.groups);
  let split: AudioTrainingData['split'];
  if (o.split) {
    split = { kind: o.split.kind, train: o.split.train.filter((g) => usable.has(g)), val: o.split.val.filter((g) => usable.has(g)), test: o.split.test.filter((g) => usable.has(g)) };
  } else if (dataset.labelColumns.includes('split')) {
    const f = fixedSplit(dataset);
    split = { kind: 'fixed', train: f.train.filter((g) => usable.has(g)), val: f.val.filter((g) => usable.has(g)), test: f.test.filter((g) => usable.has(g)) };
  } else {
    const items = centre.set.groups.map((g, i) => ({ group: g, label: centre.labels[centre.set.labels[i]!]! }));
    const folds = groupedStratifiedKFold(items, { k: 5, seed: o.splitSeed ?? DEFAULT_SPLIT_SEED });
    split = { kind: 'folds', test: folds[0]!.groups, val: folds[1]!.groups, train: folds.slice(2).flatMap((f) => f.groups).sort() };
  }
  const pick = (set: AudioSamples['set'], groups: readonly string[]) => subset(set, indicesOfGroups(set, new Set(groups)));
  const fills = o.modalities.map((m) => silenceValue(m.features));
  return {
    data: {
      train: pick(crops.set, split.train),
      val: pick(centre.set, split.val),
      test: pick(centre.set, split.test),
      modalities: o.modalities.map((m) => ({ name: m.name, input: [m.features.frames, m.features.melBands, 1] as const })),
      classes: centre.labels.length,
      augment: { perModality: o.modalities.map((m) => logMelAugmenter({ floor: silenceValue(m.features) })), dropModality: 0.1, fill: fills },
    },
    labels: centre.labels,
    split,
    samples: centre,
  };
}
