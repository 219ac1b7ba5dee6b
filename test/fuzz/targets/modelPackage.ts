/**
 * Fuzz target: model packages in folder form. Each input describes a package folder (see `PackageSpec`),
 * which is built deep inside a sandbox, scanned (scanModels → loadPackage) and imported
 * (importModelPackage) into the sandbox's user models folder. Bait files (`PWNED.sh`, `outside.txt`) sit
 * in every folder between the package and the sandbox root, so a name like `../../../PWNED.sh` finds a real
 * file at any depth. Whatever model.json says:
 * - nothing in the sandbox outside the user models folder is created, changed or removed;
 * - no file outside the package folder is opened (a bait file copied into an import is a leak);
 * - a package that is accepted, and every import that succeeds, names only regular files inside its folder,
 *   and an imported package loads again from where it was installed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ServiceError } from '../../../src-main/api/dispatch';
import { importModelPackage } from '../../../src-main/api/modelTransfer';
import { loadPackage, scanModels } from '../../../src-main/models/catalog';
import type { ModelPackageMeta } from '../../../src-main/models/packageMeta';
import { repoRoot } from '../../../src-main/storage/appPaths';
import { installFileSpy, isInside, realPathOrSelf, takeOpenedFiles } from '../fileSpy';
import { FuzzViolation, scratchDir, type FuzzTarget } from '../fuzzTarget';

/**
 * A package folder as a JSON document, so one corpus file holds one case:
 * - `base`: a bundled package (resources/models/<base>) whose files the folder starts with;
 * - `modelJson`: the text of model.json (the base's when absent); may be anything, not only JSON;
 * - `files`: changes to the folder: name → "text:<content>", "b64:<bytes>", "symlink:<target>", "dir",
 *   "fifo", or null to delete. `$SANDBOX` in any string stands for the sandbox root.
 */
export interface PackageSpec {
  readonly base?: string;
  readonly modelJson?: string;
  readonly files?: Readonly<Record<string, string | null>>;
}

export const BAIT_NAMES = ['PWNED.sh', 'outside.txt'] as const;
/** Folders between the package and the sandbox root: as many `..` as the mutator writes stay inside. */
const DEPTH = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

let sandbox = '';
let sourceDir = '';
let pkgDir = '';
let userModelsDir = '';

function setupSandbox(): void {
  sandbox = realPathOrSelf(mkdtempSync(join(scratchDir(), 'tm2-fuzz-model-')));
  let dir = sandbox;
  for (const level of ['', ...DEPTH]) {
    dir = level ? join(dir, level) : dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'PWNED.sh'), '#!/bin/sh\necho pwned\n', { mode: 0o755 });
    writeFileSync(join(dir, 'outside.txt'), 'a file outside the package\n');
  }
  sourceDir = join(dir, 'in');
  pkgDir = join(sourceDir, 'pkg');
  userModelsDir = join(dir, 'user', 'models');
  mkdirSync(sourceDir);
  mkdirSync(userModelsDir, { recursive: true });
  for (const base of readdirSync(join(repoRoot, 'resources', 'models'))) cpSync(join(repoRoot, 'resources', 'models', base), join(sandbox, 'bases', base), { recursive: true });
}

function fill(text: string): string {
  return text.replaceAll('$SANDBOX', sandbox);
}

/** Builds the package folder an input describes. */
function materialise(spec: PackageSpec): void {
  mkdirSync(pkgDir);
  if (spec.base && /^[a-z0-9-]+$/.test(spec.base) && existsSync(join(sandbox, 'bases', spec.base))) {
    // Hard links from the sandbox's own copy: cheap, and a write through one shows up in the snapshot.
    for (const name of readdirSync(join(sandbox, 'bases', spec.base))) linkSync(join(sandbox, 'bases', spec.base, name), join(pkgDir, name));
  }
  if (spec.modelJson !== undefined) {
    rmSync(join(pkgDir, 'model.json'), { force: true });
    writeFileSync(join(pkgDir, 'model.json'), fill(spec.modelJson));
  }
  for (const [rawName, what] of Object.entries(spec.files ?? {})) {
    // The spec's own names are kept inside the package folder: they build the input, they are not the input's attack.
    const name = rawName.replace(/\.\.|\u0000/g, '_').replace(/^\/+/, '');
    if (!name) continue;
    const path = join(pkgDir, name);
    rmSync(path, { recursive: true, force: true });
    if (what === null) continue;
    mkdirSync(dirname(path), { recursive: true });
    if (what === 'dir') mkdirSync(path);
    else if (what === 'fifo') execFileSync('mkfifo', [path]);
    else if (what.startsWith('symlink:')) symlinkSync(fill(what.slice(8)), path);
    else if (what.startsWith('b64:')) writeFileSync(path, Buffer.from(what.slice(4), 'base64'));
    else writeFileSync(path, fill(what.startsWith('text:') ? what.slice(5) : what));
  }
}

/** Every entry of the sandbox except the user models folder, with what identifies its content. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === userModelsDir) continue;
      const st = lstatSync(path);
      out.set(path, `${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file'} ${st.size} ${st.mtimeMs} ${st.ino}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(sandbox);
  for (const dir of [dirname(sandbox), dirname(dirname(sandbox))]) for (const bait of BAIT_NAMES) if (existsSync(join(dir, bait))) out.set(join(dir, bait), 'present');
  return out;
}

function compare(before: Map<string, string>, after: Map<string, string>): void {
  for (const [path, id] of after) {
    if (!before.has(path)) throw new FuzzViolation(`created ${path}, outside the user models folder ${userModelsDir}`);
    if (before.get(path) !== id) throw new FuzzViolation(`changed ${path} (${before.get(path)} → ${id}), outside the user models folder`);
  }
  for (const path of before.keys()) if (!after.has(path)) throw new FuzzViolation(`removed ${path}, outside the user models folder`);
}

/** An accepted package names only regular files inside its own folder (links resolved). */
function checkAccepted(dir: string, meta: ModelPackageMeta, how: string): void {
  const realDir = realPathOrSelf(dir);
  for (const [role, name] of Object.entries(meta.files)) {
    if (name === undefined) continue;
    const path = join(dir, name);
    const real = realPathOrSelf(path);
    if (!isInside(dir, path) || !isInside(realDir, real)) throw new FuzzViolation(`${how} a package whose files.${role} '${name}' is outside its folder (${real})`);
    const st = lstatSync(path);
    if (!st.isFile()) throw new FuzzViolation(`${how} a package whose files.${role} '${name}' is not a regular file`);
  }
}

export const target: FuzzTarget = {
  expected: [ServiceError],
  setup() {
    setupSandbox();
    installFileSpy();
    process.on('exit', () => rmSync(sandbox, { recursive: true, force: true }));
  },
  async run(input) {
    let spec: PackageSpec;
    try {
      spec = JSON.parse(new TextDecoder().decode(input)) as PackageSpec;
    } catch {
      spec = { modelJson: new TextDecoder().decode(input) };
    }
    if (typeof spec !== 'object' || spec === null) spec = { modelJson: String(spec) };
    try {
      materialise(spec);
      const before = snapshot();
      takeOpenedFiles();
      const catalog = await scanModels([{ dir: sourceDir, source: 'user' }]);
      let imported: Awaited<ReturnType<typeof importModelPackage>> | undefined;
      let refusal: unknown;
      try {
        imported = await importModelPackage(pkgDir, userModelsDir, [], true);
      } catch (e) {
        refusal = e;
      }
      // The worst first: a write outside the user models folder, then a read outside the package.
      compare(before, snapshot());
      const leaked = takeOpenedFiles().filter((f) => isInside(sandbox, f.real) && !isInside(pkgDir, f.real) && !isInside(userModelsDir, f.real));
      if (leaked.length) throw new FuzzViolation(`opened ${leaked[0]!.path}${leaked[0]!.real !== leaked[0]!.path ? ` (really ${leaked[0]!.real})` : ''}, outside the package folder`);
      if (refusal !== undefined && !(refusal instanceof ServiceError)) throw refusal;
      for (const m of catalog.models) checkAccepted(m.dir, m.meta, 'scanModels accepted');
      let outcome = `refused: ${refusal instanceof Error ? refusal.message.slice(0, 200) : ''}`;
      if (imported) {
        if (!isInside(userModelsDir, imported.dir)) throw new FuzzViolation(`imported into ${imported.dir}, outside ${userModelsDir}`);
        checkAccepted(imported.dir, imported.meta, 'importModelPackage installed');
        const again = await loadPackage(imported.dir);
        if ('reason' in again) throw new FuzzViolation(`the installed package does not load again: ${again.path}: ${again.reason}`);
        outcome = `imported ${imported.meta.id}`;
      }
      return { scanned: catalog.models.length, problems: catalog.problems.map((p) => p.reason.slice(0, 200)), outcome };
    } finally {
      rmSync(pkgDir, { recursive: true, force: true });
      for (const name of readdirSync(userModelsDir)) rmSync(join(userModelsDir, name), { recursive: true, force: true });
    }
  },
};
