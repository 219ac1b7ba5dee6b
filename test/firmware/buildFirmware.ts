// Builds the C runtime's tools with firmware/Makefile into a temporary directory (never into the tree).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const firmwareDir = path.join(repoRoot, 'firmware');

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type FirmwareTarget = 'host' | 'host-san' | 'aarch64' | 'rv32';

/** Builds `target` (make -j2) and returns the build directory; throws with make's output on failure. */
export function buildFirmware(target: FirmwareTarget): string {
  const build = tempDir(`tm2-fw-${target}-`);
  const args = ['-s', '-j2', '-C', firmwareDir, `BUILD=${build}`, target === 'host-san' ? 'host' : target];
  if (target === 'host-san') args.push('SAN=1');
  const r = spawnSync('make', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return build;
}

/** Why a cross target cannot run here, or undefined when its compiler and QEMU are installed. */
export function missingCrossTools(target: 'aarch64' | 'rv32'): string | undefined {
  const tools = target === 'rv32' ? ['riscv64-unknown-elf-gcc', 'qemu-riscv32'] : ['aarch64-linux-gnu-gcc', 'qemu-aarch64'];
  for (const tool of tools) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (see .ci/debian-packages.txt)`;
    }
  }
  if (target === 'rv32' && !existsSync('/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs')) return 'picolibc-riscv64-unknown-elf is not installed';
  return undefined;
}

/** The command that runs a built tool of a target: natively, or under user-mode QEMU. */
export function toolCommand(build: string, target: FirmwareTarget, tool: 'tm2_run' | 'golden_test'): [string, string[]] {
  switch (target) {
    case 'host':
    case 'host-san':
      return [path.join(build, 'host', tool), []];
    case 'aarch64':
      return ['qemu-aarch64', [path.join(build, 'aarch64', tool)]];
    case 'rv32':
      return ['qemu-riscv32', [path.join(build, 'rv32', `${tool}.elf`)]];
  }
}
