import { openDataset } from '../../datasets/openDataset';
import { parseArgs, UsageError, type Command, type CommandContext } from '../command';
import { ProgressBar } from '../progressBar';
import { inspectDataset, type DatasetInspection } from '../../datasets/datasetInspection';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function rateList(rates: Readonly<Record<string, number>>): string {
  const entries = Object.entries(rates).sort((a, b) => Number(a[0]) - Number(b[0]));
  return entries.length ? entries.map(([hz, n]) => `${Number(hz) / 1000} kHz ×${n}`).join(', ') : '—';
}

function printText(r: DatasetInspection, ctx: CommandContext): void {
  ctx.out(`${r.root}  (${r.layout} layout)`);
  ctx.out(`Participants: ${r.participants}`);
  ctx.out(`Labels (${r.labelColumn}): ${Object.entries(r.labelCounts).map(([label, n]) => `${label} ${n}`).join(', ')}`);
  ctx.out(`Label columns: ${r.labelColumns.join(', ')}`);
  ctx.out(`Modalities: ${r.modalities.map((m) => m.modality).join(', ')}`);
  ctx.out('');
  const header = ['modality', 'files', 'ok', 'failed', 'seconds min / median / max', 'total s', 'sample rates'];
  const rows = r.modalities.map((m) => [
    m.modality,
    String(m.files),
    String(m.imported),
    String(m.failed),
    m.duration ? `${m.duration.min.toFixed(1)} / ${m.duration.median.toFixed(1)} / ${m.duration.max.toFixed(1)}` : '—',
    m.duration ? m.duration.total.toFixed(0) : '—',
    rateList(m.sampleRates),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) ctx.out(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());

  const structure = r.structureProblems;
  const total = structure.length + r.importFailures.length + r.qualityFindings.length;
  ctx.out('');
  if (total === 0) {
    ctx.out('No problems found.');
    return;
  }
  ctx.out(`Problems: ${count(r.importFailures.length, 'recording')} could not be imported, ${count(r.qualityFindings.length, 'quality warning')}, ${count(structure.length, 'structure problem')}`);
  if (r.importFailures.length) {
    ctx.out('');
    ctx.out('Recordings that could not be imported (training skips them):');
    for (const f of r.importFailures) ctx.out(`  ${f.line}`);
  }
  if (r.qualityFindings.length) {
    ctx.out('');
    ctx.out('Recordings that import but may not help:');
    for (const q of r.qualityFindings) ctx.out(`  ${q.subject} / ${q.modality}: ${q.code} (${q.detail})`);
  }
  if (structure.length) {
    ctx.out('');
    ctx.out('Structure:');
    for (const p of structure) ctx.out(`  ${[p.subject, p.modality].filter(Boolean).join(' / ') || p.path || r.root}: ${p.message}`);
  }
}

export const datasetInspectCommand: Command = {
  path: ['dataset', 'inspect'],
  usage: '<dir> [--label <column>] [--json]',
  summary: 'Participants, label balance, per-modality durations and sample rates, and every problem recording',
  async run(args, ctx) {
    const { positionals, flags, options } = parseArgs(args, { flags: ['json'], options: ['label'] });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one data set folder, got ${positionals.length} arguments` : 'which data set? give its folder (or manifest .csv)');
    const dataset = openDataset(positionals[0]!);
    // The bar redraws in place, so it is only drawn for a person watching; logs and pipes get the result alone.
    const bar = ctx.interactive && process.stderr.isTTY ? new ProgressBar('Importing', (s) => process.stderr.write(s), true) : undefined;
    const report = await inspectDataset(dataset, {
      labelColumn: options.get('label'),
      onProgress: bar ? (done, total) => (done === total ? bar.done(`${total} recordings`) : bar.update(done / total, `${done}/${total}`)) : undefined,
    });
    if (flags.has('json')) ctx.out(JSON.stringify(report, null, 2));
    else printText(report, ctx);
    return 0;
  },
};
