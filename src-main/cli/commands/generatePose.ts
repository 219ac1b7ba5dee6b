import { POSE_CLASSES, type PoseClass } from '../../posegen/poseClass';
import { generatePoseSet } from '../../posegen/poseSet';
import type { FrameSize } from '../../posegen/sample';
import { parseArgs, UsageError, type Command } from '../command';
import { ProgressBar } from '../progressBar';

export const generatePoseCommand: Command = {
  path: ['generate-pose'],
  usage:
    '--out <dir> --n <count> --seed <int> [--depth 160x120] [--thermal 32x24] [--subjects 20] [--subject-seed <int>] [--classes a,b,...] [--sheet 4] [--force]',
  summary: 'Generate a synthetic labelled depth + thermal body-pose set (reproducible from its seed)',
  async run(args, ctx) {
    const { positionals, flags, options } = parseArgs(args, { flags: ['force'], options: ['out', 'n', 'seed', 'depth', 'thermal', 'subjects', 'subject-seed', 'classes', 'sheet'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const out = options.get('out');
    if (!out) throw new UsageError('--out <dir> is required');
    const n = int(options.get('n'), '--n', true);
    const seed = int(options.get('seed'), '--seed', true);
    const subjectSeed = options.has('subject-seed') ? int(options.get('subject-seed'), '--subject-seed', true) : undefined;
    const classes = options.has('classes') ? parseClasses(options.get('classes')!) : undefined;
    const bar = new ProgressBar('generate-pose', (s) => process.stderr.write(s), process.stderr.isTTY === true);
    const started = performance.now();
    const summary = await generatePoseSet({
      out,
      n,
      seed,
      subjectSeed,
      depthSize: size(options.get('depth') ?? '160x120', '--depth'),
      thermalSize: size(options.get('thermal') ?? '32x24', '--thermal'),
      subjects: int(options.get('subjects') ?? '20', '--subjects'),
      classes,
      sheetPerClass: int(options.get('sheet') ?? '4', '--sheet'),
      replace: flags.has('force'),
      // Floored to whole percent so a line-per-10 % log never shows "100%" before the last sample.
      onProgress: (done, total) => {
        if (done < total) bar.update(Math.floor((done / total) * 100) / 100, `${done}/${total}`);
      },
    });
    bar.done(`${summary.samples}/${summary.samples}`);
    const seconds = (performance.now() - started) / 1000;
    ctx.out(`Wrote ${summary.samples} samples (${Object.entries(summary.perLabel).map(([l, c]) => `${l} ${c}`).join(', ')}) from ${summary.subjects.length} subjects to ${summary.out} in ${seconds.toFixed(1)} s`);
    ctx.out(`Contact sheet: ${summary.out}/contact-sheet.png; parameters: ${summary.out}/manifest.json`);
    return 0;
  },
};

function int(v: string | undefined, name: string, required = false): number {
  if (v === undefined) {
    if (required) throw new UsageError(`${name} <int> is required`);
    return 0;
  }
  if (!/^-?\d+$/.test(v)) throw new UsageError(`${name} must be a whole number, got '${v}'`);
  return Number(v);
}

function size(v: string, name: string): FrameSize {
  const m = /^(\d+)x(\d+)$/i.exec(v);
  if (!m) throw new UsageError(`${name} must look like 160x120, got '${v}'`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function parseClasses(v: string): PoseClass[] {
  const names = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const c of names) if (!(POSE_CLASSES as readonly string[]).includes(c)) throw new UsageError(`--classes: unknown pose class '${c}' (known: ${POSE_CLASSES.join(', ')})`);
  return names as PoseClass[];
}
