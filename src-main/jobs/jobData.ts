/**
 * A job's data source → pipeline samples, and the SHA-256 of every input file, which the training run
 * records so a model can be traced to the exact bytes it learned from.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PipelineData } from '../compress/pipeline';
import { openDataset } from '../datasets/openDataset';
import { recordingRefs } from '../datasets/dataset';
import { prepareAudioTrainingData } from '../train/audioTrainingData';
import { FeatureCache } from '../train/featureCache';
import type { JobDataSource } from './jobSpec';
import { readSamplesFile } from './samplesFile';
import { datasetFromStore } from '../store/storeDataset';
import { openStore, type StoreOptions } from '../store/store';

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export async function loadJobData(
  source: JobDataSource,
  storeLocation: StoreOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<{ data: PipelineData; hashes: string[] }> {
  if (source.kind === 'samples') return { data: readSamplesFile(source.file), hashes: [fileHash(source.file)] };
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
      hashes.add(fileHash(ref.path));
    } catch {
      // An unreadable file was not trained on; the sample builder already reported it.
    }
  }
  return { data: prepared.data, hashes: [...hashes].sort() };
}
