import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** What a run of an import child printed, and whether it got as far as opening the store and finishing. */
export interface ChildRun {
  readonly opened: boolean;
  readonly finished: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** When to kill: some ms after the spawn (start-up, migration) or after the child said the store was open (import). */
export type KillAt = { readonly from: 'spawn' | 'open'; readonly ms: number };

/**
 * Runs a store-writing child (`node --import tsx <script> ...args`) that prints `open` once its store is
 * open and `done` at the end; with `killAt`, SIGKILLs it then if it is still running — a power cut, not a
 * polite exit.
 */
export function runKillableChild(script: string, args: readonly string[], killAt?: KillAt): Promise<ChildRun> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), killAt!.ms));
    child.stdout.on('data', (d: Buffer) => {
      const wasOpen = stdout.includes('open');
      stdout += d.toString();
      if (killAt?.from === 'open' && !wasOpen && stdout.includes('open')) arm();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (killAt?.from === 'spawn') arm();
    child.on('exit', () => {
      clearTimeout(timer);
      resolveRun({ opened: stdout.includes('open'), finished: stdout.includes('done'), stdout, stderr });
    });
  });
}

/** A killed writer must leave SQLite's own structure intact (WAL replayed, no torn pages). */
export function assertSqliteIntact(dataDir: string, label: string): void {
  const file = join(dataDir, 'store.sqlite');
  if (!existsSync(file)) return;
  const raw = new Database(file);
  try {
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok', `${label}: integrity_check`);
  } finally {
    raw.close();
  }
}
