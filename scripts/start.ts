// `npm start`: build when the sources are newer than the build, then open the Electron app; when the
// Electron binary is absent (it cannot be downloaded everywhere) or there is no display, serve the same
// renderer through the local bridge and print its address.   npm start -- [--no-open] [--port N] [--bridge]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findElectronBinary } from '../src-main/electron/electronBinary';
import { repoRoot as root } from '../src-main/storage/appPaths';

const args = process.argv.slice(2);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

function buildIfNeeded(): void {
  const outputs = ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html'].map((p) => join(root, p));
  const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  const sources = Math.max(newestMtime(join(root, 'src-main')), newestMtime(join(root, 'src-renderer')));
  if (built > sources) return;
  console.log('Building TinyM2 Studio…');
  const r = spawnSync(join(root, 'node_modules', '.bin', 'electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

buildIfNeeded();
const electron = findElectronBinary(root);
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (!args.includes('--bridge') && 'path' in electron && !headless) {
  const child = spawn(electron.path, [root, ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = args.includes('--bridge') ? 'bridge requested' : 'missing' in electron ? electron.missing : 'no display found';
  console.log(`No Electron window (${why}): serving TinyM2 Studio to your browser through the local bridge instead.`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src-main/bridge/main.ts'), ...args.filter((a) => a !== '--bridge')], {
    cwd: root,
    stdio: 'inherit',
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 0));
}
