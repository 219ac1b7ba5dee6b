import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compressTeacher } from '../../compress/pipeline';
import { openDataset } from '../../datasets/openDataset';
import { readFloatModel } from '../../model/weightsFile';
import { writePipelinePackage } from '../../models/packageFromPipeline';
import { parseTargetLevel } from '../../planner/memoryFit';
import { resolveAppPaths } from '../../storage/appPaths';
import { packageVersion } from '../../api/appVersion';
import { prepareAudioTrainingData } from '../../train/audioTrainingData';
import { SCREENING_AUDIO_MODALITIES } from '../../train/audioRecipe';
import { FeatureCache } from '../../train/featureCache';
import { readTrainingRun } from '../../train/trainingRun';
import { parseArgs, UsageError, type Command } from '../command';
import { ProgressBar } from '../progressBar';

export const compressCommand: Command = {
  path: ['compress'],
  usage: '<run-dir> --target <target:level> [--max-weight-bytes N] [--out <package-dir>] [--id <id>] [--name <name>]',
  summary: 'Distil int8 students from a trained teacher within a memory budget (e.g. --target gap8:l1-cluster) and write a model package',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { options: ['target', 'max-weight-bytes', 'out', 'id', 'name'] });
    if (positionals.length !== 1) throw new UsageError('give the run folder `tinym2 train` wrote');
    const runDir = resolve(positionals[0]!);
    const target = options.get('target');
    if (!target) throw new UsageError('--target <target:level> is required, e.g. --target gap8:l1-cluster');
    let level;
    try {
      level = parseTargetLevel(target);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const maxText = options.get('max-weight-bytes');
    const maxWeightBytes = maxText === undefined ? undefined : Number(maxText);
    if (maxWeightBytes !== undefined && !(Number.isInteger(maxWeightBytes) && maxWeightBytes > 0)) throw new UsageError(`--max-weight-bytes must be a positive integer, got "${maxText}"`);
    const run = readTrainingRun(join(runDir, 'run.json'));
    const teacherFile = join(runDir, 'teacher.model.json');
    if (!existsSync(teacherFile)) throw new Error(`${teacherFile}: missing; the run folder is incomplete (train again)`);
    const teacher = readFloatModel(teacherFile);
    const dataset = openDataset(run.dataset);
    const prepared = await prepareAudioTrainingData(dataset, {
      modalities: SCREENING_AUDIO_MODALITIES,
      labelColumn: run.labelColumn,
      labels: run.labels,
      cache: new FeatureCache(join(resolveAppPaths().dataDir, 'cache', 'features')),
      crops: run.crops,
      split: run.split,
    });
    const bar = new ProgressBar('compress', (s) => process.stderr.write(s), ctx.interactive);
    const budget = { level, ...(maxWeightBytes !== undefined ? { maxWeightBytes } : {}) };
    const result = await compressTeacher(prepared.data, run.recipe, budget, teacher, (p) => bar.update(p.fraction, p.detail));
    bar.done();
    for (const p of result.search.points) {
      ctx.out(`  ${p.chosen ? '*' : ' '} ${p.label.padEnd(22)} ${String(p.cost.weightBytes).padStart(7)} B weights ${String(p.cost.peakActivationBytes).padStart(7)} B peak  ${p.valBalancedAccuracy === undefined ? `skipped: ${p.cost.why}` : `val ${(p.valBalancedAccuracy * 100).toFixed(1)} %`}`);
    }
    const id = options.get('id') ?? `${run.labelColumn}-${basename(runDir)}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    const out = resolve(options.get('out') ?? join(resolveAppPaths().userModelsDir, id));
    const t = result.test;
    const method = `${run.split.kind === 'fixed' ? 'fixed' : 'grouped-fold'} participant split: measured on ${prepared.data.test.count} held-out participants`;
    writePipelinePackage(out, {
      id,
      name: options.get('name') ?? `${run.labelColumn} from cough, speech and breathing`,
      version: '1.0.0',
      codeVersion: packageVersion(),
      task: { kind: 'audio', description: `Classifies ${run.labelColumn} (${run.labels.join(', ')}) from cough, speech and breathing.`, labels: run.labels },
      modalities: SCREENING_AUDIO_MODALITIES.map((m) => ({ name: m.name, kind: 'audio' as const, instruction: m.instruction, durationSeconds: m.durationSeconds, features: m.features })),
      accuracy: [
        { metric: 'balancedAccuracy', value: t.studentInt8.balancedAccuracy, variant: 'student int8', method, dataset: run.dataset },
        { metric: 'balancedAccuracy', value: t.studentFloat.balancedAccuracy, variant: 'student float', method, dataset: run.dataset },
        { metric: 'balancedAccuracy', value: t.teacher.balancedAccuracy, variant: 'teacher float', method, dataset: run.dataset },
      ],
      provenance: { dataset: `${run.dataset}, label column ${run.labelColumn}`, seed: run.recipe.seed, recipe: `tinym2 train + compress --target ${target}`, codeVersion: packageVersion() },
    }, result);
    ctx.out(`int8 student: ${result.plan.weightBytes} B weights, ${result.plan.peakActivationBytes} B peak activations; test balanced accuracy ${(t.studentInt8.balancedAccuracy * 100).toFixed(1)} % (float ${(t.studentFloat.balancedAccuracy * 100).toFixed(1)} %, teacher ${(t.teacher.balancedAccuracy * 100).toFixed(1)} %)`);
    ctx.out(`wrote ${out}`);
    return 0;
  },
};
