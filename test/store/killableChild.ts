import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { blobPath, sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { openStore, type Store } from '../../src-main/store/store';

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

/** A stored row and the blobs it refers to, for the crash checks. */
export interface BlobRow {
  readonly what: string;
  readonly hashes: readonly string[];
}

/**
 * What a restarted app would find after a kill: SQLite intact, every row's blobs present with the right
 * SHA-256, no blob the consistency check misses, temp files cleaned up. Returns the number of rows.
 */
export function verifyStoreAfterCrash(dataDir: string, label: string, rows: (store: Store) => readonly BlobRow[]): number {
  assertSqliteIntact(dataDir, label);
  const store = openStore({ dataDir });
  try {
    const found = rows(store);
    for (const r of found) {
      for (const hash of r.hashes) {
        const path = blobPath(store.blobsDir, hash);
        assert.ok(existsSync(path), `${label}: ${r.what} refers to a missing blob`);
        assert.equal(sha256Hex(readFileSync(path)), hash, `${label}: a blob of ${r.what} has the wrong content`);
      }
    }
    // The consistency check is what cleans blobs/.tmp, so count what the kill left there before running it.
    const temp = join(store.blobsDir, '.tmp');
    const leftover = existsSync(temp) ? readdirSync(temp).length : 0;
    const report = checkConsistency(store);
    assert.deepEqual(report.missingBlobs, [], `${label}: missing blobs`);
    assert.equal(report.removedTempFiles, leftover, `${label}: the check removes every temp file the kill left`);
    assert.ok(!existsSync(temp) || readdirSync(temp).length === 0, `${label}: temp files were cleaned up`);
    return found.length;
  } finally {
    store.close();
  }
}

export interface KillRoundsOptions {
  /** What is imported, for the summary line (e.g. "frame-import"). */
  readonly what: string;
  /** Kills that must interrupt an import (a run that beats its kill does not count). */
  readonly kills: number;
  readonly killsPerRound: number;
  /** A fresh, empty data folder for a round. */
  readonly newDataDir: () => string;
  readonly run: (dataDir: string, killAt?: KillAt) => Promise<ChildRun>;
  /** Where the next kill lands, given the rows this round has committed so far. */
  readonly killAt: (rows: number) => KillAt;
  /** verifyStoreAfterCrash with the test's own rows. */
  readonly verify: (dataDir: string, label: string) => number;
  /** Rows a finished import has. */
  readonly expectedRows: number;
  /** Checks a round's completed re-run (its output and the whole store). */
  readonly verifyRerun: (dataDir: string, rerun: ChildRun) => void;
}

export interface KillRoundsResult {
  readonly kills: number;
  readonly rounds: number;
  readonly killedBeforeOpen: number;
  readonly killedMidImport: number;
  readonly seconds: number;
}

/**
 * The kill loop both crash tests share: rounds of up to `killsPerRound` kills into one store, each followed
 * by the crash checks, then an unkilled re-run that must complete the import. Stops after `kills` kills,
 * or after 4× that many rounds (a machine where every import beats its kill fails instead of hanging).
 */
export async function killRounds(o: KillRoundsOptions): Promise<KillRoundsResult> {
  const t0 = performance.now();
  let kills = 0;
  let killedBeforeOpen = 0;
  let killedMidImport = 0;
  let rounds = 0;
  while (kills < o.kills && rounds < 4 * o.kills) {
    const dataDir = o.newDataDir();
    try {
      let rows = 0;
      for (let k = 0; k < o.killsPerRound && kills < o.kills; k++) {
        const killAt = o.killAt(rows);
        const run = await o.run(dataDir, killAt);
        if (run.finished) break;
        kills++;
        if (!run.opened) killedBeforeOpen++;
        const after = o.verify(dataDir, `kill ${kills} ${killAt.ms} ms after ${killAt.from}`);
        assert.ok(after >= rows, 'committed rows never disappear');
        if (after > rows && after < o.expectedRows) killedMidImport++;
        rows = after;
      }
      const rerun = await o.run(dataDir);
      assert.ok(rerun.finished, `the re-run completes: ${rerun.stderr.slice(-800)}`);
      assert.equal(o.verify(dataDir, `round ${rounds} re-run`), o.expectedRows);
      o.verifyRerun(dataDir, rerun);
      rounds++;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const result = { kills, rounds, killedBeforeOpen, killedMidImport, seconds: (performance.now() - t0) / 1000 };
  console.log(`# ${kills} ${o.what} kills in ${rounds} rounds, ${result.seconds.toFixed(1)} s: ${killedBeforeOpen} before the store opened, ${killedMidImport} mid-import`);
  assert.equal(kills, o.kills, `only ${kills} of ${o.kills} kills interrupted an import in ${rounds} rounds`);
  assert.ok(killedMidImport >= kills / 4, `enough kills land mid-import (${killedMidImport} of ${kills})`);
  return result;
}
