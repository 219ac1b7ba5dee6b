/**
 * The C firmware per model and build: code size (text/data/bss) of the runtime and loader, model blob
 * and arena bytes, instructions per inference, MACs; and the size of the fixed-point audio front end. Instructions are counted, not timed: valgrind
 * callgrind (Ir) on the host build; a small TCG plugin (firmware/tools/qemu_insn_count.c, since Debian's
 * qemu-user ships none) under qemu-riscv32 / qemu-aarch64. Each count is (two inferences) − (one
 * inference) of the same tm2_run call, so start-up, file I/O and blob parsing cancel out.
 * Goal: the runtime code the audio model's ops need ≤ 16 KB of rv32imc text.
 *
 *   npm run bench:firmware   → bench/results/firmware.json
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { arch, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFirmwareBlob } from '../src-main/export/firmwareBlob';
import type { Int8Graph } from '../src-main/graph/int8Graph';
import { parseInt8Graph } from '../src-main/graph/int8GraphJson';
import type { ModelPackageMeta } from '../src-main/models/packageMeta';
import { planMemory } from '../src-main/planner/planMemory';
import { seededRandom } from '../src-main/train/random';
import { randomTwoBranchGraph } from '../test/fixtures/randomInt8Graph';

const RV32_GOAL_BYTES = 16 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const firmware = join(repo, 'firmware');
const outFile = join(here, 'results', 'firmware.json');
const work = mkdtempSync(join(tmpdir(), 'tm2-bench-fw-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const OP_FILE: Record<string, string> = {
  conv2d: 'conv2d', dense: 'dense', maxPool: 'max_pool', avgPool: 'avg_pool', globalAvgPool: 'global_avg_pool', concat: 'concat', add: 'add', softmax: 'softmax',
};
const ALWAYS = ['fixed_point', 'crc32', 'sha256', 'model_parser', 'interpreter'];

function has(tool: string): boolean {
  return spawnSync('which', [tool]).status === 0;
}

function make(target: string): void {
  execFileSync('make', ['-s', '-j2', '-C', firmware, `BUILD=${work}`, target], { stdio: 'inherit' });
}

interface Section { text: number; data: number; bss: number }

/** Berkeley `size` of each object: name (without .o) → sections. */
function sizes(sizeTool: string, objects: string[]): Record<string, Section> {
  const out = execFileSync(sizeTool, objects, { encoding: 'utf8' });
  const rows: Record<string, Section> = {};
  for (const line of out.trim().split('\n').slice(1)) {
    const [text, data, bss, , , file] = line.trim().split(/\s+/);
    rows[file!.split('/').pop()!.replace(/\.o$/, '')] = { text: Number(text), data: Number(data), bss: Number(bss) };
  }
  return rows;
}

function compileObjects(cc: string, flags: string[], sources: string[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return sources.map((src) => {
    const obj = join(dir, src.split('/').pop()!.replace(/\.c$/, '.o'));
    execFileSync(cc, [...flags, '-c', '-o', obj, join(firmware, src)]);
    return obj;
  });
}

const sum = (rows: Section[]): Section => rows.reduce((a, r) => ({ text: a.text + r.text, data: a.data + r.data, bss: a.bss + r.bss }), { text: 0, data: 0, bss: 0 });

interface Build {
  readonly name: 'host' | 'aarch64' | 'rv32';
  readonly cc: string;
  readonly size: string;
  readonly flags: string[];
  readonly run: (args: string[]) => [string, string[]];
  readonly counter: string;
}

const plugin = join(work, 'libinsn_count.so');
const builds: Build[] = [
  { name: 'host', cc: 'cc', size: 'size', flags: ['-std=c99', '-O2'], run: (a) => ['valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(work, 'cg.out')}`, join(work, 'host', 'tm2_run'), ...a]], counter: 'valgrind callgrind Ir' },
  {
    name: 'aarch64', cc: 'aarch64-linux-gnu-gcc', size: 'aarch64-linux-gnu-size', flags: ['-std=c99', '-O2'],
    run: (a) => ['qemu-aarch64', ['-plugin', plugin, join(work, 'aarch64', 'tm2_run'), ...a]], counter: 'qemu-aarch64 TCG plugin (guest instructions)',
  },
  {
    name: 'rv32', cc: 'riscv64-unknown-elf-gcc', size: 'riscv64-unknown-elf-size',
    flags: ['-std=c99', '-Os', '-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs', '-ffunction-sections', '-fdata-sections'],
    run: (a) => ['qemu-riscv32', ['-plugin', plugin, join(work, 'rv32', 'tm2_run.elf'), ...a]], counter: 'qemu-riscv32 TCG plugin (guest instructions)',
  },
];

function instructions(b: Build, blob: string, inputs: Int8Array[]): number {
  const count = (sets: number) => {
    const inFile = join(work, `in-${sets}.bin`);
    const one = Buffer.concat(inputs.map((a) => Buffer.from(a.buffer, a.byteOffset, a.length)));
    writeFileSync(inFile, Buffer.concat(Array.from({ length: sets }, () => one)));
    const [cmd, args] = b.run([blob, inFile, join(work, 'out.bin')]);
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
    const m = /Collected : (\d+)/.exec(r.stderr) ?? /insns (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`no instruction count in the output of ${cmd}`);
    return Number(m[1]);
  };
  return count(2) - count(1);
}

function macsOf(graph: Int8Graph): number {
  let macs = 0;
  for (const op of graph.ops) {
    const out = graph.tensors[op.output]!.shape;
    if (op.kind === 'conv2d') {
      const w = graph.tensors[op.weights]!.shape; // [outC, kH, kW, inC/groups]
      macs += out.reduce((a, b) => a * b, 1) * w[1]! * w[2]! * w[3]!;
    } else if (op.kind === 'dense') {
      const w = graph.tensors[op.weights]!.shape;
      macs += w[0]! * w[1]!;
    }
  }
  return macs;
}

interface ModelUnderTest { id: string; version: string; synthetic: boolean; blob: string; graph: Int8Graph; meta?: ModelPackageMeta }

function models(): ModelUnderTest[] {
  const found: ModelUnderTest[] = [];
  const root = join(repo, 'resources', 'models');
  for (const name of existsSync(root) ? readdirSync(root).sort() : []) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'model.json'))) continue;
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelPackageMeta;
    if (!meta.files.firmwareBlob || !meta.files.int8Graph) continue;
    const graphFile = join(dir, meta.files.int8Graph);
    found.push({ id: meta.id, version: meta.version, synthetic: false, blob: join(dir, meta.files.firmwareBlob), graph: parseInt8Graph(readFileSync(graphFile, 'utf8'), graphFile), meta });
  }
  if (found.length > 0) return found;
  // Until the default models are installed: a two-branch graph on 64 × 40 log-mel inputs.
  const graph = randomTwoBranchGraph(5, [64, 40]);
  const blob = join(work, 'synthetic.tm2b');
  writeFileSync(blob, writeFirmwareBlob(graph, planMemory(graph), { modelId: 'synthetic-two-branch', modelVersion: '1.0.0' }));
  return [{ id: 'synthetic-two-branch', version: '1.0.0', synthetic: true, blob, graph }];
}


execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', plugin, join(firmware, 'tools', 'qemu_insn_count.c')]);
const available = builds.filter((b) => has(b.cc) && has(b.size) && (b.name === 'host' ? has('valgrind') : has(b.run([])[0])));
const skipped = builds.filter((b) => !available.includes(b)).map((b) => ({ build: b.name, reason: `${b.cc}, ${b.size} or ${b.run([])[0]} is not installed` }));
for (const b of available) make(b.name === 'host' ? 'host' : b.name);

const runtimeSources = readdirSync(join(firmware, 'runtime')).filter((f) => f.endsWith('.c')).map((f) => `runtime/${f}`);
const loaderSources = ['loader/frame.c', 'loader/slots.c', 'loader/loader.c'];
const codeSize: Record<string, unknown> = {};
const objectSizes: Record<string, Record<string, Section>> = {};
for (const b of available) {
  const runtime = sizes(b.size, compileObjects(b.cc, b.flags, runtimeSources, join(work, 'obj', b.name, 'runtime')));
  const loader = sizes(b.size, compileObjects(b.cc, b.flags, loaderSources, join(work, 'obj', b.name, 'loader')));
  const audio = sizes(b.size, compileObjects(b.cc, b.flags, ['audio/logmel_fx.c'], join(work, 'obj', b.name, 'audio')));
  objectSizes[b.name] = runtime;
  codeSize[b.name] = {
    flags: b.flags.join(' '),
    runtime: sum(Object.values(runtime)),
    loader: sum(Object.values(loader)),
    fixedPointAudioFrontEnd: sum(Object.values(audio)),
    runtimeObjects: runtime,
  };
}

const results = models().map((m) => {
  const kinds = [...new Set(m.graph.ops.map((op) => op.kind))].sort();
  const needed = [...ALWAYS, ...kinds.map((k) => OP_FILE[k]).filter((f): f is string => f !== undefined)];
  const rnd = seededRandom(1);
  const inputs = m.graph.inputs.map((id) => Int8Array.from({ length: m.graph.tensors[id]!.shape.reduce((a, b) => a * b, 1) }, () => rnd.int(256) - 128));
  const info = execFileSync(join(work, 'host', 'tm2_run'), ['--info', m.blob], { encoding: 'utf8' });
  const arena = Number(/arena_bytes=(\d+)/.exec(info)![1]);
  const perBuild = available.map((b) => {
    const objs = objectSizes[b.name]!;
    return {
      build: b.name,
      runtimeForModelOps: sum(needed.map((n) => objs[n]!)),
      instructionsPerInference: instructions(b, m.blob, inputs),
      counter: b.counter,
      arenaBytes: arena,
    };
  });
  const macs = m.meta?.memory.macs ?? macsOf(m.graph);
  const rv32 = perBuild.find((p) => p.build === 'rv32');
  return {
    id: m.id,
    version: m.version,
    synthetic: m.synthetic,
    ...(m.synthetic ? { role: 'synthetic stand-in (random two-branch graph on 64 × 40 inputs): no model in resources/models yet' } : {}),
    opKinds: kinds,
    blobBytes: readFileSync(m.blob).length,
    weightBytes: m.meta?.memory.weightBytes ?? m.graph.tensors.filter((t) => t.data).reduce((n, t) => n + t.data!.length * (t.dtype === 'int32' ? 4 : 1), 0),
    arenaBytes: arena,
    plannerArenaBytes: m.meta?.memory.peakActivationBytes ?? planMemory(m.graph).arenaBytes,
    macs,
    macsSource: m.meta?.memory.macs !== undefined ? 'model.json memory.macs' : 'computed from the int8 graph (conv + dense)',
    builds: perBuild.map((p) => ({ ...p, instructionsPerMac: Number((p.instructionsPerInference / Math.max(1, macs)).toFixed(2)) })),
    rv32RuntimeGoal: rv32 ? { goalTextBytes: RV32_GOAL_BYTES, textBytes: rv32.runtimeForModelOps.text, met: rv32.runtimeForModelOps.text <= RV32_GOAL_BYTES } : undefined,
  };
});

const report = {
  benchmark: 'firmware: code size, arena, instructions per inference',
  measuredAt: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, arch: arch(), node: process.version },
  notes:
    'instructions = count(2 inferences) − count(1 inference) of one tm2_run call; code sizes are the objects alone (no libc/libgcc/startup); runtimeForModelOps = parser, interpreter, fixed point, CRC, SHA-256 and the kernels of the op kinds the model uses',
  codeSize,
  skipped,
  models: results,
};
writeFileAtomic(outFile, `${JSON.stringify(report, null, 2)}\n`);
for (const m of results) {
  console.log(`${m.id}: blob ${m.blobBytes} B, arena ${m.arenaBytes} B, ${m.macs} MACs`);
  for (const b of m.builds) console.log(`  ${b.build}: ${b.instructionsPerInference} instructions/inference (${b.instructionsPerMac}/MAC), runtime text for its ops ${b.runtimeForModelOps.text} B`);
}
console.log(`→ ${outFile}`);
