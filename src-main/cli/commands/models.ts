import { resolveAppPaths } from '../../storage/appPaths';
import { scanModels } from '../../models/catalog';
import { parseArgs, type Command } from '../command';

export const modelsCommand: Command = {
  path: ['models'],
  usage: '[--json]',
  summary: 'List the model packages found (bundled and user), with their size and accuracy',
  async run(args, ctx) {
    const { flags } = parseArgs(args, { flags: ['json'] });
    const paths = resolveAppPaths();
    const catalog = await scanModels([
      { dir: paths.bundledModelsDir, source: 'bundled' },
      { dir: paths.userModelsDir, source: 'user' },
    ]);
    if (flags.has('json')) {
      ctx.out(JSON.stringify({ models: catalog.models.map((m) => ({ ...m.meta, dir: m.dir, source: m.source })), problems: catalog.problems }, null, 2));
      return catalog.problems.length ? 1 : 0;
    }
    if (catalog.models.length === 0) ctx.out(`No models found in ${paths.bundledModelsDir} or ${paths.userModelsDir}.`);
    for (const { meta, source } of catalog.models) {
      const acc = meta.accuracy[0];
      ctx.out(
        `${meta.id}  v${meta.version}  ${meta.task.kind}  [${meta.modalities.map((m) => m.name).join(', ')}]  ` +
          `${meta.memory.weightBytes} B weights, ${meta.memory.peakActivationBytes} B peak` +
          (acc ? `  ${(acc.value * 100).toFixed(1)} % ${acc.metric}` : '') +
          `  (${source})`,
      );
    }
    for (const p of catalog.problems) ctx.err(`problem: ${p.path}: ${p.reason}`);
    return catalog.problems.length ? 1 : 0;
  },
};
