#!/usr/bin/env node
// The one test command (README, .ci/run): type-check, build, then every test file under test/
// with Node's own test runner (TypeScript loaded by tsx). Fails on the first failing stage.
//   node scripts/test.mjs [--only unit|e2e|firmware] [--skip-build] [pattern...]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const skipBuild = args.includes('--skip-build');
const patterns = args.filter((a, i) => !a.startsWith('--') && i !== onlyIdx + 1);

function run(label, cmd, cmdArgs, env = {}) {
  console.log(`\n▶ ${label}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`✖ ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

/**
 * The tests use real tools (Chromium, sox, PulseAudio, cross compilers, QEMU). Install the missing
 * Debian packages when we can (root with apt-get, as on CI and the dev machines); otherwise say which.
 */
function ensureSystemPackages() {
  const wanted = readFileSync(join(root, '.ci', 'debian-packages.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/));
  const missing = wanted.filter(([, probe]) => !existsSync(probe)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.warn(`⚠ missing Debian packages: ${missing.join(' ')} — install them (sudo apt-get install ${missing.join(' ')}); tests that need them will fail or skip`);
    return;
  }
  console.log(`▶ installing missing Debian packages: ${missing.join(' ')}`);
  run('apt-get update', 'apt-get', ['update', '-qq']);
  run('apt-get install', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
}

if (!existsSync(join(root, 'node_modules', '.bin', 'tsc'))) run('npm ci', 'npm', ['ci'], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
ensureSystemPackages();

if (!only) {
  run('type-check (main, tests)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  run('type-check (renderer)', bin('svelte-check'), ['--tsconfig', './tsconfig.renderer.json', '--fail-on-warnings', '--output', 'human']);
}
if (!skipBuild && (!only || only === 'e2e')) run('build', bin('electron-vite'), ['build']);

let files = findTests(join(root, 'test'));
if (only === 'e2e') files = files.filter((f) => f.startsWith('test/e2e/'));
else if (only) files = files.filter((f) => f.startsWith(`test/${only}`) || (only === 'unit' && !f.startsWith('test/e2e/')));
if (patterns.length) files = files.filter((f) => patterns.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('✖ no test files matched');
  process.exit(1);
}
run(`tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  TINYM2_TEST: '1',
});
