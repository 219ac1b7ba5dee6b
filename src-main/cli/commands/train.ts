import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../../storage/atomicFile';
import { join, resolve } from 'node:path';
import { trainTeacher, scoreFloat } from '../../compress/pipeline';
import { recipeWithEpochs } from '../../compress/recipeEpochs';
import { openDataset } from '../../datasets/openDataset';
import { writeFloatModel } from '../../model/weightsFile';
import { resolveAppPaths } from '../../storage/appPaths';
import { prepareAudioTrainingData } from '../../train/audioTrainingData';
import { DEFAULT_AUDIO_RECIPE, SCREENING_AUDIO_MODALITIES } from '../../train/audioRecipe';
import { FeatureCache } from '../../train/featureCache';
import { parseArgs, UsageError, type Command } from '../command';
import { ProgressBar } from '../progressBar';
import { trainingRunSchema, type TrainingRun } from '../../train/trainingRun';

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export const trainCommand: Command = {
  path: ['train'],
  usage: '<dataset> --label <column> [--labels a,b] [--out <run-dir>] [--epochs N] [--seed N] [--crops N]',
  summary: 'Train the float teacher on a labelled audio data set (cough, speech, breathing); `compress` makes the int8 student from it',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { options: ['label', 'labels', 'out', 'epochs', 'seed', 'crops'] });
    if (positionals.length !== 1) throw new UsageError('give one data set folder or manifest');
    const label = options.get('label');
    if (!label) throw new UsageError('--label <column> is required (e.g. --label g, --label covid_status)');
    const dataset = openDataset(positionals[0]!);
    const epochs = options.get('epochs');
    const recipe = {
      ...(epochs === undefined ? DEFAULT_AUDIO_RECIPE : recipeWithEpochs(DEFAULT_AUDIO_RECIPE, positiveInt(epochs, 'epochs', DEFAULT_AUDIO_RECIPE.fit.epochs))),
      seed: positiveInt(options.get('seed'), 'seed', DEFAULT_AUDIO_RECIPE.seed),
    };
    const crops = positiveInt(options.get('crops'), 'crops', 4);
    const runDir = resolve(options.get('out') ?? join(resolveAppPaths().dataDir, 'runs', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    const cache = new FeatureCache(join(resolveAppPaths().dataDir, 'cache', 'features'));
    const bar = new ProgressBar('features', (s) => process.stderr.write(s), ctx.interactive);
    const labels = options.get('labels')?.split(',').map((s) => s.trim()).filter(Boolean);
    const prepared = await prepareAudioTrainingData(dataset, {
      modalities: SCREENING_AUDIO_MODALITIES,
      labelColumn: label,
      ...(labels ? { labels } : {}),
      cache,
      crops,
      onProgress: (d, t) => bar.update(d / t),
    });
    bar.done();
    for (const s of prepared.samples.skipped) ctx.err(`skipped ${s.subject}/${s.modality}: ${s.reason}`);
    ctx.out(`${prepared.split.kind === 'fixed' ? 'fixed split' : 'grouped folds'}: ${prepared.split.train.length} train, ${prepared.split.val.length} validation, ${prepared.split.test.length} test participants; classes ${prepared.labels.join(', ')}`);
    const trainBar = new ProgressBar('teacher', (s) => process.stderr.write(s), ctx.interactive);
    const teacher = await trainTeacher(prepared.data, recipe, (p) => trainBar.update(p.fraction, p.epoch ? `val loss ${p.epoch.valLoss.toFixed(3)}` : p.detail));
    trainBar.done();
    const test = scoreFloat(teacher.arch, teacher.weights, prepared.data.test);
    mkdirSync(runDir, { recursive: true });
    writeFloatModel(join(runDir, 'teacher.model.json'), teacher.arch, teacher.weights);
    const run: TrainingRun = trainingRunSchema.parse({
      format: 'tinym2-training-run',
      dataset: dataset.root,
      labelColumn: label,
      labels: prepared.labels,
      crops,
      recipe,
      split: prepared.split,
      teacherTestBalancedAccuracy: test.balancedAccuracy,
      createdAt: new Date().toISOString(),
    });
    writeFileAtomic(join(runDir, 'run.json'), JSON.stringify(run, null, 2));
    ctx.out(`teacher: ${teacher.arch.params} parameters, test balanced accuracy ${(test.balancedAccuracy * 100).toFixed(1)} %`);
    ctx.out(`saved ${runDir} — next: tinym2 compress ${runDir} --target gap8:l1-cluster`);
    return 0;
  },
};
