import { formatPiAddress } from '../../devices/pi/piAddress';
import { deployToPi, pairedTarget, rollbackPi, type DeployStage } from '../../devices/pi/piClient';
import { resolveAppPaths } from '../../storage/appPaths';
import { parseArgs, UsageError, type Command } from '../command';
import { ProgressBar } from '../progressBar';
import { piAddressArg } from './devices';
import { resolveModelDir } from './modelDir';

export const deployCommand: Command = {
  path: ['deploy'],
  usage: '<model-id|package-dir> --to pi://<host>:<port> [--json]',
  summary: 'Sign a model, send it to a paired Raspberry Pi, and check it answers exactly as here (rolls back if not)',
  async run(args, ctx) {
    const { positionals, options, flags } = parseArgs(args, { options: ['to'], flags: ['json'] });
    if (positionals.length !== 1) throw new UsageError('name one model (an id from tinym2 models, or a package folder)');
    const address = piAddressArg(options.get('to'), '--to');
    const pkgDir = await resolveModelDir(positionals[0]!);
    const dataDir = resolveAppPaths().dataDir;
    const target = pairedTarget(dataDir, address);
    // Progress goes to stderr so `--json` output on stdout stays clean.
    const bar = new ProgressBar(`deploy → ${formatPiAddress(address)}`, (s) => (ctx.interactive ? process.stderr.write(s) : ctx.err(s.trimEnd())), ctx.interactive);
    const weight: Record<DeployStage, [number, number]> = { sign: [0, 0.05], upload: [0.05, 0.9], verify: [0.9, 1] };
    const report = await deployToPi(dataDir, target, pkgDir, {
      onProgress: (stage, f, detail) => {
        const [a, b] = weight[stage];
        bar.update(a + (b - a) * f, `${stage}: ${detail}`);
      },
    });
    bar.done('done');
    if (flags.has('json')) {
      ctx.out(JSON.stringify(report, null, 2));
      return 0;
    }
    ctx.out(
      report.changed
        ? `${report.model.id} ${report.model.version} is active on ${report.device}${report.previous ? ` (previous ${report.previous.id} ${report.previous.version} kept for rollback)` : ''}.`
        : `${report.model.id} ${report.model.version} was already active on ${report.device}; nothing changed.`,
    );
    ctx.out(`Verified: the Pi's output on the golden input equals this computer's, value for value (${report.deviceLatencyMs.toFixed(2)} ms on the Pi).`);
    ctx.out(`Sent ${(report.uploadBytes / 1024).toFixed(0)} KiB in ${report.seconds.upload.toFixed(2)} s; total ${report.seconds.total.toFixed(2)} s.`);
    return 0;
  },
};

export const rollbackCommand: Command = {
  path: ['rollback'],
  usage: '--to pi://<host>:<port> [--json]',
  summary: 'Make a paired Raspberry Pi run its previous model again',
  async run(args, ctx) {
    const { options, flags, positionals } = parseArgs(args, { options: ['to'], flags: ['json'] });
    if (positionals.length) throw new UsageError(`unexpected '${positionals[0]}'`);
    const address = piAddressArg(options.get('to'), '--to');
    const r = await rollbackPi(pairedTarget(resolveAppPaths().dataDir, address));
    if (flags.has('json')) ctx.out(JSON.stringify(r, null, 2));
    else ctx.out(`${formatPiAddress(address)} now runs ${r.active.id} ${r.active.version}${r.previous ? ` (previous ${r.previous.id} ${r.previous.version})` : ''}.`);
    return 0;
  },
};
