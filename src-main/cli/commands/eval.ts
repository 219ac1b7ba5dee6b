import { resolve } from 'node:path';
import { openDataset } from '../../datasets/openDataset';
import { evaluatePackage } from '../../infer/evaluatePackage';
import { openModelSession } from '../../infer/modelSession';
import { parseArgs, UsageError, type Command } from '../command';
import { ProgressBar } from '../progressBar';
import { resolveModelDir } from './modelDir';

export const evalCommand: Command = {
  path: ['eval'],
  usage: '<model-id|package-dir> <dataset> --label <column> [--json]',
  summary: 'Measure a model package on a labelled data set through the app’s own inference path (onnxruntime, int8)',
  async run(args, ctx) {
    const { positionals, options, flags } = parseArgs(args, { options: ['label'], flags: ['json'] });
    if (positionals.length !== 2) throw new UsageError('give a model (id or package folder) and a data set');
    const label = options.get('label');
    if (!label) throw new UsageError('--label <column> is required');
    const session = await openModelSession(await resolveModelDir(positionals[0]!));
    try {
      const dataset = openDataset(resolve(positionals[1]!));
      const bar = new ProgressBar('eval', (s) => process.stderr.write(s), ctx.interactive);
      const r = await evaluatePackage(session, dataset, label, (d, t) => bar.update(d / t));
      bar.done();
      if (flags.has('json')) {
        ctx.out(JSON.stringify({ model: session.meta.id, ...r }, null, 2));
        return 0;
      }
      ctx.out(`${session.meta.id} on ${dataset.root} (${label}): ${r.participants} participants`);
      ctx.out(`balanced accuracy ${(r.balancedAccuracy * 100).toFixed(1)} %, accuracy ${(r.accuracy * 100).toFixed(1)} %, mean latency ${r.meanLatencyMs.toFixed(2)} ms`);
      ctx.out(`confusion (rows true, columns predicted): ${r.labels.join(' / ')}`);
      r.confusion.forEach((row, i) => ctx.out(`  ${r.labels[i]!.padEnd(12)} ${row.map((v) => String(v).padStart(5)).join('')}`));
      if (r.withMissing) ctx.out(`${r.withMissing} participant(s) answered with a modality missing`);
      for (const s of r.skipped) ctx.err(`skipped ${s.subject}: ${s.reason}`);
      return 0;
    } finally {
      await session.release();
    }
  },
};
