import { formatPiAddress } from '../../devices/pi/piAddress';
import { deployToPi, pairedTarget, rollbackPi, type DeployStage } from '../../devices/pi/piClient';
import { repoRoot, resolveAppPaths } from '../../storage/appPaths';
import { join } from 'node:path';
import { deploy, DeployError } from '../../devices/gapuino/deploy';
import { openGapuinoTarget, parseGapuinoTarget, type GapuinoTarget } from '../../devices/gapuino/gapuinoTarget';
import { parseArgs, UsageError, type Command, type CommandContext } from '../command';
import { ProgressBar } from '../progressBar';
import { piAddressArg } from './devices';
import { resolveModelDir } from './modelDir';

async function deployToGapuino(target: GapuinoTarget, pkgDir: string, baud: number | undefined, json: boolean, ctx: CommandContext): Promise<number> {
  const paths = resolveAppPaths();
  const transport = await openGapuinoTarget(target, { firmwareDir: join(repoRoot, 'firmware'), buildDir: join(paths.dataDir, 'build'), ...(baud ? { baud } : {}) });
  const bar = new ProgressBar(`deploy → ${transport.description}`, (s) => (ctx.interactive ? process.stderr.write(s) : ctx.err(s.trimEnd())), ctx.interactive);
  try {
    const r = await deploy(transport, pkgDir, { onProgress: (p) => bar.update(p.totalBytes ? p.sentBytes / p.totalBytes : 0, `${p.stage}: ${p.message}`) });
    bar.done('done');
    if (json) ctx.out(JSON.stringify({ ...r, cycles: r.cycles.toString() }, null, 2));
    else {
      ctx.out(`${r.modelId} ${r.modelVersion} is active in slot ${r.slot} of ${transport.description} (the previous model is kept for rollback).`);
      ctx.out(`Verified: the board's logits on the golden input are within ${r.maxDiffLsb} LSB of this computer's; ${r.retransmissions} frame(s) resent.`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DeployError) {
      const state = { 'previous-model': 'The board still runs its previous model.', 'rolled-back': 'The board was rolled back to its previous model.', unknown: 'What the board runs now is unknown: run `tinym2 deploy` again once it is reachable.' }[e.device];
      throw new Error(`deploy failed while ${e.stage === 'connect' ? 'connecting' : `in ${e.stage}`}: ${e.message}. ${state}`);
    }
    throw e;
  } finally {
    await transport.close();
  }
}

export const deployCommand: Command = {
  path: ['deploy'],
  usage: '<model-id|package-dir> --to pi://<host>:<port>|gapuino|gapuino:<usb id>|sim:<flash image> [--baud N] [--allow-downgrade] [--json]',
  summary: 'Send a model to a paired Raspberry Pi or a GAPuino (USB or simulated) and check it answers as here (rolls back if not)',
  async run(args, ctx) {
    const { positionals, options, flags } = parseArgs(args, { options: ['to', 'baud'], flags: ['json', 'allow-downgrade'] });
    if (positionals.length !== 1) throw new UsageError('name one model (an id from tinym2 models, or a package folder)');
    const gapuino = parseGapuinoTarget(options.get('to') ?? '');
    if (gapuino) {
      // Said and silently ignored, it would let the person believe a choice was signed; a GAPuino takes any version.
      if (flags.has('allow-downgrade')) throw new UsageError('--allow-downgrade applies to Raspberry Pi targets (--to pi://…); a GAPuino installs any version, so leave it out');
      const baudText = options.get('baud');
      const baud = baudText === undefined ? undefined : Number(baudText);
      if (baud !== undefined && !(Number.isInteger(baud) && baud > 0)) throw new UsageError(`--baud must be a positive integer, got "${baudText}"`);
      return deployToGapuino(gapuino, await resolveModelDir(positionals[0]!), baud, flags.has('json'), ctx);
    }
    const address = piAddressArg(options.get('to'), '--to');
    const pkgDir = await resolveModelDir(positionals[0]!);
    const dataDir = resolveAppPaths().dataDir;
    const target = pairedTarget(dataDir, address);
    // Progress goes to stderr so `--json` output on stdout stays clean.
    const bar = new ProgressBar(`deploy → ${formatPiAddress(address)}`, (s) => (ctx.interactive ? process.stderr.write(s) : ctx.err(s.trimEnd())), ctx.interactive);
    const weight: Record<DeployStage, [number, number]> = { sign: [0, 0.05], upload: [0.05, 0.9], verify: [0.9, 1] };
    const report = await deployToPi(dataDir, target, pkgDir, {
      // A Pi refuses a version older than the one it runs unless the person says so here.
      allowDowngrade: flags.has('allow-downgrade'),
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
