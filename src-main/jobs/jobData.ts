/**
 * A job's data source → pipeline samples, and the SHA-256 of every input file, which the training run
 * records so a model can be traced to the exact bytes it learned from.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PipelineData } from '../compress/pipeline';
import { INPUT_LIMITS, readInputFileSync } from '../storage/inputFile';
import { openDataset } from '../datasets/openDataset';
import { recordingRefs } from '../datasets/dataset';
import { prepareAudioTrainingData } from '../train/audioTrainingData';
import { FeatureCache } from '../train/featureCache';
import { indicesOfGroups, subset } from '../train/sampleSet';
import type { JobDataSource } from './jobSpec';
import { readSamplesFile } from './samplesFile';
import { datasetFromStore } from '../store/storeDataset';
import { openStore, type StoreOptions } from '../store/store';
import { defaultFrameLabels, frameHashes, framePairsFromStore, frameSampleSet, splitFrameSubjects, type StoreFrameSet } from '../store/storeFrames';
import { depthThermalAugmenter } from '../train/augment';

/** The job's own samples file, written by this app. */
function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Hashes a data-set recording with the same checks as its import (regular file, no link, capped). */
function recordingHash(path: string): string {
  return createHash('sha256').update(readInputFileSync(path, { maxBytes: INPUT_LIMITS.audioBytes, kind: 'recording', noSymlink: true })).digest('hex');
}

export async function loadJobData(
  source: JobDataSource,
  storeLocation: StoreOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<{ data: PipelineData; hashes: string[] }> {
  if (source.kind === 'samples') return { data: readSamplesFile(source.file), hashes: [fileHash(source.file)] };
  if (source.kind === 'store-frames') return storeFramesData(source, storeLocation, onProgress);
  const options = (labelColumn: string) => ({
    modalities: source.modalities,
    labelColumn,
    ...(source.labels ? { labels: source.labels } : {}),
    ...(source.cacheDir ? { cache: new FeatureCache(source.cacheDir) } : {}),
    ...(source.crops ? { crops: source.crops } : {}),
    ...(source.splitSeed !== undefined ? { splitSeed: source.splitSeed } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  if (source.kind === 'store-dataset') {
    const store = openStore(storeLocation);
    let selected: ReturnType<typeof datasetFromStore>;
    try {
      selected = datasetFromStore(store, source.name);
    } finally {
      store.close();
    }
    const labelColumn = source.labelColumn ?? selected.dataset.labelColumns[0];
    if (!labelColumn) throw new Error(`data set '${source.name}' has no labels to train on`);
    return { data: (await prepareAudioTrainingData(selected.dataset, options(labelColumn))).data, hashes: [...selected.hashes] };
  }
  const dataset = openDataset(source.dir);
  const prepared = await prepareAudioTrainingData(dataset, options(source.labelColumn));
  const hashes = new Set<string>();
  for (const ref of recordingRefs(dataset)) {
    try {
      hashes.add(recordingHash(ref.path));
    } catch {
      // An unreadable file was not trained on; the sample builder already reported it.
    }
  }
  return { data: prepared.data, hashes: [...hashes].sort() };
}

type StoreFramesSource = Extract<JobDataSource, { kind: 'store-frames' }>;

/**
 * Stored frame pairs → subject-disjoint train / validation / test. The augmentation matches the bundled
 * pose model's (train/poseTrainingData.ts): branches meet only after pooling, so each modality shifts on its own.
 */
async function storeFramesData(source: StoreFramesSource, storeLocation: StoreOptions, onProgress?: (done: number, total: number) => void): Promise<{ data: PipelineData; hashes: string[] }> {
  const store = openStore(storeLocation);
  let selected: StoreFrameSet;
  try {
    selected = framePairsFromStore(store, source.name, source.labelColumn);
  } finally {
    store.close();
  }
  const labels = source.labels ? [...source.labels] : defaultFrameLabels(selected.pairs);
  if (new Set(labels).size !== labels.length) throw new Error(`data set '${source.name}': labels must not repeat (${labels.join(', ')})`);
  const wanted = new Set(labels);
  const pairs = selected.pairs.filter((p) => wanted.has(p.label));
  if (pairs.length === 0) {
    throw new Error(`data set '${source.name}' has no frame pairs labelled ${labels.join(' / ')} in column '${selected.labelColumn}' (${selected.pairs.length} pairs in all)`);
  }
  const split = splitFrameSubjects(
    pairs.map((p) => p.subject),
    { ...(source.valSubjects !== undefined ? { valSubjects: source.valSubjects } : {}), ...(source.splitSeed !== undefined ? { seed: source.splitSeed } : {}) },
  );
  const f = source.features;
  const all = await frameSampleSet(pairs, { ...f, labels }, onProgress);
  const pick = (groups: readonly string[]) => subset(all, indicesOfGroups(all, new Set(groups)));
  return {
    data: {
      train: pick(split.train),
      val: pick(split.val),
      test: pick(split.test),
      modalities: [
        { name: 'depth', input: [f.depth.height, f.depth.width, 1] },
        { name: 'thermal', input: [f.thermal.height, f.thermal.width, 1] },
      ],
      classes: labels.length,
      augment: depthThermalAugmenter(),
    },
    hashes: frameHashes(pairs),
  };
}
