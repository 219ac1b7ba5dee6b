import { join } from 'node:path';
import type { PipelineData, Recipe } from '../../src-main/compress/pipeline';
import { writeSamplesFile } from '../../src-main/jobs/samplesFile';
import type { JobSpec } from '../../src-main/jobs/jobSpec';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { toyTask } from '../fixtures/toyTask';

/** The toy two-modality task split by participant: 30 to train on, 10 to validate, 10 to test. */
export function toySplit(): Pick<PipelineData, 'train' | 'val' | 'test' | 'modalities' | 'classes'> {
  const data = toyTask(200, 5);
  const groups = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, i) => `p${from + i}`));
  return {
    train: subset(data, indicesOfGroups(data, groups(0, 30), true)),
    val: subset(data, indicesOfGroups(data, groups(30, 40), true)),
    test: subset(data, indicesOfGroups(data, groups(40, 50), true)),
    modalities: [
      { name: 'a', input: [12, 8, 1] },
      { name: 'b', input: [8, 8, 1] },
    ],
    classes: 2,
  };
}

export function writeToySamples(dir: string): string {
  const file = join(dir, 'toy-samples.json');
  writeSamplesFile(file, toySplit());
  return file;
}

export function toyRecipe(epochs: number): Recipe {
  return {
    seed: 3,
    teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    students: [
      { widthMultiplier: 0.25, depth: 1, kernelSize: 3, denseUnits: 0 },
      { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    ],
    fit: { epochs, batchSize: 16, learningRate: 1e-2, patience: epochs },
    alpha: 0.5,
    temperature: 3,
    inputClip: 0,
  };
}

export function trainSpec(samples: string, output: string, epochs: number): JobSpec {
  return { kind: 'train-teacher', data: { kind: 'samples', file: samples }, recipe: toyRecipe(epochs), output };
}
