/**
 * The layering of src-main/, written down and checked (issue #22, item 1). Every import between source
 * files is read with the TypeScript parser — `import`, `import type`, `export … from`, `import()`,
 * `typeof import()` and the worker entries named by `new URL('./x', import.meta.url)` — and placed on the
 * module graph. A module is a folder of src-main/ (devices/gapuino and devices/pi are modules of their
 * own); a few files are placed by what they are instead of where they sit (the experiments in train/).
 *
 *   npm run architecture            rewrite the generated parts of docs/ARCHITECTURE.md, print the graph
 *   npm run architecture -- --check  only say whether docs/ARCHITECTURE.md is up to date (exit 1 if not)
 *
 * test/architecture/layers.test.ts runs the same analysis and holds the list of today's known violations.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type TS from 'typescript';

// Loaded through require: importing the 9 MB CommonJS compiler as ESM costs seconds on a busy machine.
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

export interface ModuleInfo {
  /** Folder under src-main/ (or a module that has no folder yet, such as experiments). */
  readonly name: string;
  readonly purpose: string;
}

export interface Layer {
  readonly name: string;
  readonly modules: readonly ModuleInfo[];
}

export interface ArchitectureConfig {
  /** Bottom first. A module may import modules of its own layer and of the layers below, never above. */
  readonly layers: readonly Layer[];
  /** Folders under src-main/ that are modules of their own rather than part of their parent folder. */
  readonly subModules: readonly string[];
  /** Files (repo-relative) placed in a module by what they are, not by the folder they sit in. */
  readonly filePlacements: Readonly<Record<string, string>>;
  /** Modules that must not import one another, whatever their layers. */
  readonly separate: readonly { readonly modules: readonly string[]; readonly why: string }[];
  /** What is scanned (repo-relative): folders, read recursively, and single files. */
  readonly sources: readonly string[];
}

const experimentFiles = [
  'src-main/train/audioRecipe.ts',
  'src-main/train/poseRecipe.ts',
  'src-main/train/crossValidation.ts',
  'src-main/train/foldWorker.ts',
  'src-main/train/foldWorkerEntry.mjs',
  'src-main/train/outOfFold.ts',
  'src-main/train/audioTrainingData.ts',
  'src-main/train/poseTrainingData.ts',
  'scripts/trainDefaultAudio.ts',
  'scripts/trainDefaultPose.ts',
];

export const ARCHITECTURE: ArchitectureConfig = {
  layers: [
    { name: 'foundation', modules: [{ name: 'storage', purpose: 'Where things live (app paths), durable atomic writes, the one door for files from outside.' }] },
    {
      name: 'signal and data',
      modules: [
        { name: 'dsp', purpose: 'Resampling, mel filterbank and log-mel spectrograms: the audio features, reproducible in firmware.' },
        { name: 'audio', purpose: 'WAV decoding and import, microphone capture, level meter, take quality.' },
        { name: 'frames', purpose: 'Depth and thermal frames: 16-bit PNG files, pairing, resizing, normalisation, labelled frame sets.' },
        { name: 'posegen', purpose: 'The procedural depth + thermal pose generator: subjects, rooms, sensors, contact sheets.' },
        { name: 'datasets', purpose: 'Data set loaders (Coswara, CSV manifest, folders), inspection, participant-grouped splits.' },
      ],
    },
    { name: 'model', modules: [{ name: 'model', purpose: 'The TinyM²Net architecture description, weights as plain arrays, the float-model file.' }] },
    {
      name: 'training engine',
      modules: [{ name: 'train', purpose: 'The jax-js engine and its NHWC ops, the training loop, initial weights, augmentation, metrics, samples.' }],
    },
    { name: 'int8 graph', modules: [{ name: 'graph', purpose: 'The Int8Graph: the one contract between quantization, kernels, planner, exporters and firmware.' }] },
    {
      name: 'reference kernels',
      modules: [{ name: 'kernels', purpose: 'The int8 reference kernels (TFLite integer semantics): the spec the C runtime and onnxruntime match.' }],
    },
    { name: 'memory planner', modules: [{ name: 'planner', purpose: 'Tensor lifetimes, in-place sharing, greedy arena, execution order, target memory fits.' }] },
    {
      name: 'compression',
      modules: [{ name: 'compress', purpose: 'Batch-norm folding, calibration, int8 quantization, QAT, distillation search, the pipeline.' }],
    },
    { name: 'export', modules: [{ name: 'export', purpose: 'ONNX writers (float, int8 QDQ) and the firmware blob (write and parse back).' }] },
    { name: 'packages', modules: [{ name: 'models', purpose: 'Model packages: the model.json schema, the catalog of installed packages, package writing.' }] },
    {
      name: 'inference',
      modules: [{ name: 'infer', purpose: 'onnxruntime sessions on packages; features → int8 → classify, with per-modality contributions.' }],
    },
    {
      name: 'experiments',
      modules: [{ name: 'experiments', purpose: 'Recipes, data preparation for the pipeline, cross-validation, default-model builds (today in train/ and scripts/).' }],
    },
    {
      name: 'services',
      modules: [
        { name: 'store', purpose: 'The local SQLite store and content-addressed blobs: participants, labels, data sets, runs, models.' },
        { name: 'jobs', purpose: 'Background jobs (training, compression) in worker threads, with checkpoints that survive a restart.' },
        { name: 'screening', purpose: 'Screening sessions: takes, results, reports, recorded sessions offered for retraining.' },
        { name: 'devices', purpose: 'What the device ports share (byte transport, USB availability, model signing) and the device registry.' },
        { name: 'devices/gapuino', purpose: 'GAPuino (GAP8) on USB/FTDI or simulated: the loader protocol and deploy.' },
        { name: 'devices/pi', purpose: 'Raspberry Pi: pairing, pinned-certificate HTTPS client, discovery, signed upload.' },
      ],
    },
    { name: 'api', modules: [{ name: 'api', purpose: 'The one contract (zod schemas), dispatch, event bus and the service handlers behind it.' }] },
    {
      name: 'apps',
      modules: [
        { name: 'cli', purpose: '`tinym2`, the command line: one file per command.' },
        { name: 'bridge', purpose: 'The API over HTTP + WebSocket on 127.0.0.1, for a plain browser.' },
        { name: 'electron', purpose: 'The Electron window, its preload and Content-Security-Policy.' },
        { name: 'agent', purpose: '`tinym2-agent`, the Raspberry Pi side: pairing, model store, HTTPS server.' },
      ],
    },
  ],
  subModules: ['devices/gapuino', 'devices/pi'],
  filePlacements: Object.fromEntries(experimentFiles.map((f) => [f, 'experiments'])),
  separate: [
    { modules: ['devices/gapuino', 'devices/pi'], why: 'each device port stands alone; what both need lives in devices/' },
    { modules: ['cli', 'bridge', 'electron', 'agent'], why: 'each app is its own entry point; what two share belongs lower down' },
    { modules: ['agent', 'api'], why: 'the Pi agent is a separate program and ships without the studio’s API' },
  ],
  sources: ['src-main', ...experimentFiles.filter((f) => !f.startsWith('src-main/'))],
};

export const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
export const DOC_FILE = 'docs/ARCHITECTURE.md';
export const KNOWN_VIOLATIONS_FILE = 'test/architecture/knownViolations.json';

// ---------------------------------------------------------------------------------------------------------
// Reading the imports

export type ImportKind = 'value' | 'type' | 'dynamic' | 'worker';

export interface FileImport {
  readonly from: string;
  readonly to: string;
  readonly kind: ImportKind;
}

export interface ImportScan {
  /** Repo-relative path → module. */
  readonly files: ReadonlyMap<string, string>;
  /** One entry per importing file and imported file; `type` only when every import between them is. */
  readonly imports: readonly FileImport[];
  readonly unresolved: readonly { readonly from: string; readonly specifier: string }[];
}

const SOURCE_FILE = /\.(ts|mts|mjs|js)$/;

function listSources(root: string, entry: string): string[] {
  // Missing entries are skipped rather than fatal: files come and go while people edit.
  const stat = statSync(join(root, entry), { throwIfNoEntry: false });
  if (!stat) return [];
  if (!stat.isDirectory()) return SOURCE_FILE.test(entry) && !entry.endsWith('.d.ts') ? [entry] : [];
  return readdirSync(join(root, entry))
    .sort()
    .flatMap((name) => listSources(root, `${entry}/${name}`));
}

/** The module a file belongs to: its placement if it has one, else its folder under src-main/. */
export function moduleOf(file: string, config: ArchitectureConfig): string {
  const placed = config.filePlacements[file];
  if (placed) return placed;
  const inside = file.startsWith('src-main/') ? file.slice('src-main/'.length) : file;
  const sub = config.subModules.find((m) => inside.startsWith(`${m}/`));
  if (sub) return sub;
  const slash = inside.indexOf('/');
  return slash < 0 ? '(top level)' : inside.slice(0, slash);
}

/** The module a file's folder would give it, ignoring placements. */
function folderModuleOf(file: string, config: ArchitectureConfig): string {
  return moduleOf(file, { ...config, filePlacements: {} });
}

function isImportMetaUrl(node: TS.Node | undefined): boolean {
  return (
    !!node &&
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'url' &&
    ts.isMetaProperty(node.expression) &&
    node.expression.keywordToken === ts.SyntaxKind.ImportKeyword
  );
}

/** Every module specifier a file names, with how it is used. */
export function specifiersOf(fileName: string, text: string): { specifier: string; kind: ImportKind }[] {
  const kind = /\.(mjs|js)$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, kind);
  const found: { specifier: string; kind: ImportKind }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, kind: node.isTypeOnly ? 'type' : 'value' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, kind: 'type' });
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [arg, base] = node.arguments ?? [];
      if (arg && ts.isStringLiteralLike(arg) && isImportMetaUrl(base)) found.push({ specifier: arg.text, kind: 'worker' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** A file's text, or undefined when it went away since the folder was listed (someone is editing). */
function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = join(dirname(join(root, from)), specifier);
  const candidates = [base, `${base}.ts`, `${base}.mts`, `${base}.mjs`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')];
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return hit ? relative(root, hit).split(sep).join('/') : undefined;
}

export function scanImports(root: string = repoRoot, config: ArchitectureConfig = ARCHITECTURE): ImportScan {
  const texts = new Map<string, string>();
  for (const file of [...new Set(config.sources.flatMap((s) => listSources(root, s)))].sort()) {
    const text = readIfPresent(join(root, file));
    if (text !== undefined) texts.set(file, text);
  }
  const files = new Map([...texts.keys()].map((f) => [f, moduleOf(f, config)]));
  const byPair = new Map<string, FileImport>();
  const unresolved: { from: string; specifier: string }[] = [];
  for (const [from, text] of texts) {
    for (const { specifier, kind } of specifiersOf(from, text)) {
      if (!specifier.startsWith('.')) continue;
      const to = resolveRelative(root, from, specifier);
      if (!to) {
        // `new URL('.', import.meta.url)` names a folder, not a module.
        if (kind !== 'worker') unresolved.push({ from, specifier });
        continue;
      }
      if (!files.has(to) || to === from) continue;
      const key = `${from}\n${to}`;
      const seen = byPair.get(key);
      // A pair is type-only when every import between the two files is; otherwise the strongest use wins.
      if (!seen || seen.kind === 'type') byPair.set(key, { from, to, kind: seen && kind === 'type' ? seen.kind : kind });
    }
  }
  const imports = [...byPair.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { files, imports, unresolved };
}

// ---------------------------------------------------------------------------------------------------------
// The rules

export type ViolationKind = 'upward' | 'separate' | 'cycle' | 'file-cycle' | 'misplaced' | 'unplaced' | 'unresolved' | 'config';

export interface Violation {
  readonly kind: ViolationKind;
  /** Stable text naming the violation, as the known-violations list writes it. */
  readonly key: string;
  /** What is wrong, for a person. */
  readonly detail: string;
}

export function layerIndex(config: ArchitectureConfig): Map<string, number> {
  return new Map(config.layers.flatMap((layer, i) => layer.modules.map((m) => [m.name, i] as const)));
}

/** Strongly connected sets of more than one node (Tarjan), each sorted, in a stable order. */
export function cyclesOf(nodes: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) found.push(set.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) connect(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function addEdge(edges: Map<string, Set<string>>, from: string, to: string): void {
  if (!edges.has(from)) edges.set(from, new Set());
  edges.get(from)!.add(to);
}

/**
 * Every place the code leaves the layering: an import from a lower layer into a higher one, an import
 * between modules that must not know each other, a cycle between modules or between files of one module,
 * a file placed in a module other than its folder's, and anything the configuration cannot place.
 * A cycle that runs through an upward import is reported as that import only.
 */
export function findViolations(scan: ImportScan, config: ArchitectureConfig = ARCHITECTURE): Violation[] {
  const layers = layerIndex(config);
  const violations: Violation[] = [];
  const layerName = (m: string) => `${m} (layer ${layers.get(m)! + 1}, ${config.layers[layers.get(m)!]!.name})`;

  for (const file of Object.keys(config.filePlacements).sort()) {
    if (!scan.files.has(file)) violations.push({ kind: 'config', key: `config: placed file ${file} does not exist`, detail: 'Remove it from filePlacements in scripts/architecture.ts (moved or deleted?).' });
  }
  for (const group of config.separate) {
    for (const m of group.modules) if (!layers.has(m)) violations.push({ kind: 'config', key: `config: separate module ${m} has no layer`, detail: 'Name only modules that have a layer.' });
  }
  const unplaced = new Set([...scan.files.values()].filter((m) => !layers.has(m)));
  for (const m of [...unplaced].sort()) {
    violations.push({ kind: 'unplaced', key: `unplaced: ${m}`, detail: `Module ${m} has no layer: add it to ARCHITECTURE.layers in scripts/architecture.ts.` });
  }
  for (const [file, module] of scan.files) {
    const folder = folderModuleOf(file, config);
    if (file.startsWith('src-main/') && module !== folder) {
      violations.push({ kind: 'misplaced', key: `misplaced: ${file} belongs to ${module}`, detail: `${file} sits in ${folder}/ but is part of ${layerName(module)}.` });
    }
  }
  for (const { from, specifier } of scan.unresolved) {
    violations.push({ kind: 'unresolved', key: `unresolved: ${from} → ${specifier}`, detail: `${from} imports ${specifier}, which names no file.` });
  }

  const separated = (a: string, b: string) => config.separate.find((g) => g.modules.includes(a) && g.modules.includes(b));
  const allowedModuleEdges = new Map<string, Set<string>>();
  const fileEdgesWithin = new Map<string, Set<string>>();
  for (const { from, to, kind } of scan.imports) {
    const a = scan.files.get(from)!;
    const b = scan.files.get(to)!;
    const how = kind === 'value' ? 'imports' : kind === 'type' ? 'imports types from' : kind === 'dynamic' ? 'loads' : 'starts a worker on';
    if (a === b) {
      addEdge(fileEdgesWithin, from, to);
      continue;
    }
    if (!layers.has(a) || !layers.has(b)) continue;
    const group = separated(a, b);
    if (group) {
      violations.push({ kind: 'separate', key: `separate: ${from} → ${to}`, detail: `${from} ${how} ${to}: ${a} and ${b} must not know each other (${group.why}).` });
    } else if (layers.get(a)! < layers.get(b)!) {
      violations.push({ kind: 'upward', key: `upward: ${from} → ${to}`, detail: `${from} ${how} ${to}: ${layerName(a)} points up to ${layerName(b)}.` });
    } else addEdge(allowedModuleEdges, a, b);
  }
  for (const set of cyclesOf([...allowedModuleEdges.keys()], allowedModuleEdges)) {
    const through = scan.imports.filter((i) => set.includes(scan.files.get(i.from)!) && set.includes(scan.files.get(i.to)!) && scan.files.get(i.from) !== scan.files.get(i.to));
    violations.push({
      kind: 'cycle',
      key: `cycle: ${set.join(' ⇄ ')}`,
      detail: `Modules ${set.join(', ')} import each other: ${through.map((i) => `${i.from} → ${i.to}`).join('; ')}.`,
    });
  }
  for (const set of cyclesOf([...fileEdgesWithin.keys()], fileEdgesWithin)) {
    violations.push({ kind: 'file-cycle', key: `file cycle: ${set.join(' ⇄ ')}`, detail: `Files of ${scan.files.get(set[0]!)} import each other in a circle: ${set.join(', ')}.` });
  }
  return violations.sort((x, y) => x.key.localeCompare(y.key));
}

// ---------------------------------------------------------------------------------------------------------
// The known violations (the ratchet the test keeps)

export interface KnownViolationGroup {
  /** Which issue #22 item removes these, and how. */
  readonly plan: string;
  readonly violations: readonly string[];
}

export function readKnownViolations(root: string = repoRoot): KnownViolationGroup[] {
  return (JSON.parse(readFileSync(join(root, KNOWN_VIOLATIONS_FILE), 'utf8')) as { groups: KnownViolationGroup[] }).groups;
}

// ---------------------------------------------------------------------------------------------------------
// The module graph, as text and as a picture

export interface ModuleEdge {
  readonly from: string;
  readonly to: string;
  /** How many file-to-file imports make up this edge. */
  readonly imports: number;
  /** The rule these imports break, if any (a cycle: the edge lies on a cycle between modules). */
  readonly breaks?: 'upward' | 'separate' | 'cycle';
}

export function moduleEdges(scan: ImportScan, violations: readonly Violation[]): ModuleEdge[] {
  const broken = new Map<string, 'upward' | 'separate'>();
  for (const v of violations) if (v.kind === 'upward' || v.kind === 'separate') broken.set(v.key.slice(v.key.indexOf(' ') + 1), v.kind);
  const inCycle = violations.filter((v) => v.kind === 'cycle').map((v) => v.key.slice('cycle: '.length).split(' ⇄ '));
  const edges = new Map<string, { from: string; to: string; imports: number; breaks?: 'upward' | 'separate' | 'cycle' }>();
  for (const i of scan.imports) {
    const from = scan.files.get(i.from)!;
    const to = scan.files.get(i.to)!;
    if (from === to) continue;
    const key = `${from}\n${to}`;
    const edge = edges.get(key) ?? { from, to, imports: 0 };
    edge.imports++;
    const breaks = broken.get(`${i.from} → ${i.to}`) ?? (inCycle.some((set) => set.includes(from) && set.includes(to)) ? 'cycle' : undefined);
    if (breaks && edge.breaks !== 'upward' && edge.breaks !== 'separate') edge.breaks = breaks;
    edges.set(key, edge);
  }
  return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/**
 * The edges a picture needs: every edge that breaks a rule, and of the others only those not implied by a
 * longer path (cli → api → store says cli may reach store; a direct cli → store arrow adds nothing to
 * the shape). Edges are dropped one at a time, each checked on what is left, so reachability never changes.
 */
export function pictureEdges(edges: readonly ModuleEdge[]): ModuleEdge[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (!e.breaks) addEdge(next, e.from, e.to);
  const reachableWithout = (from: string, to: string): boolean => {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length) {
      const u = queue.pop()!;
      for (const w of next.get(u) ?? []) {
        if (u === from && w === to) continue;
        if (w === to) return true;
        if (!seen.has(w)) {
          seen.add(w);
          queue.push(w);
        }
      }
    }
    return false;
  };
  return edges.filter((e) => {
    if (e.breaks) return true;
    if (!reachableWithout(e.from, e.to)) return true;
    next.get(e.from)!.delete(e.to);
    return false;
  });
}

/** The module graph as lines of text, top layer first, each module with everything it imports (✗ = breaks a rule). */
export function describeGraph(scan: ImportScan, violations: readonly Violation[], config: ArchitectureConfig = ARCHITECTURE): string {
  const edges = moduleEdges(scan, violations);
  const counts = new Map<string, number>();
  for (const m of scan.files.values()) counts.set(m, (counts.get(m) ?? 0) + 1);
  const lines: string[] = [];
  for (let i = config.layers.length - 1; i >= 0; i--) {
    lines.push(`${String(i + 1).padStart(2)} ${config.layers[i]!.name}`);
    for (const m of config.layers[i]!.modules) {
      const deps = edges.filter((e) => e.from === m.name).map((e) => `${e.to}${e.breaks ? ` ✗${e.breaks}` : ''}`);
      lines.push(`     ${m.name.padEnd(16)} ${String(counts.get(m.name) ?? 0).padStart(3)} files → ${deps.join(', ') || '(nothing)'}`);
    }
  }
  return lines.join('\n');
}

const nodeId = (module: string) => `m_${module.replace(/[^A-Za-z0-9]/g, '_')}`;

/**
 * A Mermaid flowchart: one box per layer, top layer first, its modules inside. Grey arrows point down a
 * layer or within one (those implied by a longer path left out); red dashed arrows break a rule.
 */
export function mermaidDiagram(scan: ImportScan, violations: readonly Violation[], config: ArchitectureConfig = ARCHITECTURE): string {
  const lines = ['```mermaid', 'flowchart TB'];
  const top = config.layers.length - 1;
  for (let i = top; i >= 0; i--) {
    lines.push(`  subgraph L${i + 1}["${i + 1} · ${config.layers[i]!.name}"]`);
    for (const m of config.layers[i]!.modules) lines.push(`    ${nodeId(m.name)}["${m.name}"]`);
    lines.push('  end');
  }
  // Every module sits above every module of the layer below: invisible links give the layout that order.
  let link = 0;
  for (let i = top; i > 0; i--) {
    for (const upper of config.layers[i]!.modules) {
      for (const lower of config.layers[i - 1]!.modules) {
        lines.push(`  ${nodeId(upper.name)} ~~~ ${nodeId(lower.name)}`);
        link++;
      }
    }
  }
  const red: number[] = [];
  for (const e of pictureEdges(moduleEdges(scan, violations))) {
    if (e.breaks) red.push(link);
    lines.push(`  ${nodeId(e.from)} ${e.breaks ? `-. ${e.breaks} .->` : '-->'} ${nodeId(e.to)}`);
    link++;
  }
  if (red.length) lines.push(`  linkStyle ${red.join(',')} stroke:#d22,stroke-width:2px,color:#d22`);
  lines.push('```');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// docs/ARCHITECTURE.md: the parts between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`

function layerTable(config: ArchitectureConfig): string {
  const rows = ['| Layer | Module | What it is for |', '|---|---|---|'];
  for (let i = config.layers.length - 1; i >= 0; i--) {
    for (const m of config.layers[i]!.modules) rows.push(`| ${i + 1} · ${config.layers[i]!.name} | \`${m.name}\` | ${m.purpose} |`);
  }
  return rows.join('\n');
}

function violationList(violations: readonly Violation[], known: readonly KnownViolationGroup[]): string {
  const current = new Set(violations.map((v) => v.key));
  const listed = new Set(known.flatMap((g) => g.violations));
  const out: string[] = [`${violations.length} today, each with the change that removes it.`, ''];
  for (const group of known) {
    const here = group.violations.filter((k) => current.has(k));
    if (here.length === 0) continue;
    out.push(`- ${group.plan}`);
    for (const k of here) out.push(`  - \`${k}\``);
  }
  const unlisted = violations.filter((v) => !listed.has(v.key));
  if (unlisted.length) {
    out.push('- Not in the known list (the test fails until they are fixed):');
    for (const v of unlisted) out.push(`  - \`${v.key}\``);
  }
  return out.join('\n');
}

export interface Analysis {
  readonly scan: ImportScan;
  readonly violations: readonly Violation[];
}

export function analyse(root: string = repoRoot, config: ArchitectureConfig = ARCHITECTURE): Analysis {
  const scan = scanImports(root, config);
  return { scan, violations: findViolations(scan, config) };
}

export function generatedParts(analysis: Analysis, known: readonly KnownViolationGroup[], config: ArchitectureConfig = ARCHITECTURE): Record<string, string> {
  return {
    layers: layerTable(config),
    diagram: mermaidDiagram(analysis.scan, analysis.violations, config),
    violations: violationList(analysis.violations, known),
  };
}

/** The document with each generated part replaced; throws when a part's markers are missing. */
export function withGeneratedParts(doc: string, parts: Readonly<Record<string, string>>): string {
  let out = doc;
  for (const [name, body] of Object.entries(parts)) {
    const begin = `<!-- generated:${name} (npm run architecture) -->`;
    const end = `<!-- /generated:${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${DOC_FILE}: markers ${begin} … ${end} are missing`);
    out = `${out.slice(0, a + begin.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}

function main(): void {
  const analysis = analyse();
  const known = readKnownViolations();
  const docPath = join(repoRoot, DOC_FILE);
  const doc = readFileSync(docPath, 'utf8');
  const updated = withGeneratedParts(doc, generatedParts(analysis, known));
  if (process.argv.includes('--check')) {
    if (updated !== doc) {
      console.error(`${DOC_FILE} is out of date: run npm run architecture`);
      process.exit(1);
    }
    console.log(`${DOC_FILE} is up to date`);
    return;
  }
  console.log(describeGraph(analysis.scan, analysis.violations));
  const listed = new Set(known.flatMap((g) => g.violations));
  const unlisted = analysis.violations.filter((v) => !listed.has(v.key));
  console.log(`\n${analysis.scan.files.size} files, ${analysis.scan.imports.length} imports, ${analysis.violations.length} violations (${unlisted.length} not in ${KNOWN_VIOLATIONS_FILE})`);
  for (const v of unlisted) console.log(`  ${v.key}\n      ${v.detail}`);
  if (updated !== doc) writeFileSync(docPath, updated);
  console.log(updated === doc ? `${DOC_FILE} was already up to date` : `${DOC_FILE} rewritten`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
