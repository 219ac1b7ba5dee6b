import { writeFileAtomic } from '../../storage/atomicFile';
import { join, resolve } from 'node:path';
import { loadPackage } from '../../models/catalog';
import { INPUT_LIMITS, readInputFileSync, resolveInside } from '../../storage/inputFile';
import { parseArgs, UsageError, type Command } from '../command';
import { resolveModelDir } from './modelDir';

const FORMATS = {
  'onnx-int8': 'int8Onnx',
  'onnx-float': 'floatOnnx',
  'int8-graph': 'int8Graph',
  blob: 'firmwareBlob',
  architecture: 'architecture',
} as const;

export const exportCommand: Command = {
  path: ['export'],
  usage: `<model-id|package-dir> --format ${Object.keys(FORMATS).join('|')} --out <file>`,
  summary: 'Write one artefact of a model package (int8 or float ONNX, int8 graph, firmware blob) to a file',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { options: ['format', 'out'] });
    if (positionals.length !== 1) throw new UsageError('give one model (id or package folder)');
    const format = options.get('format') ?? 'onnx-int8';
    if (!(format in FORMATS)) throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, got "${format}"`);
    const out = options.get('out');
    if (!out) throw new UsageError('--out <file> is required');
    const dir = await resolveModelDir(positionals[0]!);
    const meta = await loadPackage(dir);
    if ('reason' in meta) throw new Error(`${meta.path}: ${meta.reason}`);
    const role = FORMATS[format as keyof typeof FORMATS];
    const file = meta.files[role];
    if (!file) throw new Error(`${join(dir, 'model.json')}: this package has no ${format} file`);
    const target = resolve(out);
    writeFileAtomic(target, readInputFileSync(resolveInside(dir, file, `files.${role}`), { maxBytes: INPUT_LIMITS.modelFileBytes, kind: 'model file', noSymlink: true }));
    ctx.out(`wrote ${target} (${format} of ${meta.id} v${meta.version})`);
    return 0;
  },
};
