/**
 * The store's crash promise, tested the hard way: a child process imports real Coswara recordings (empty
 * files included) and is SIGKILLed at random moments — while opening or migrating the database, writing
 * blobs, or inside a transaction. After every kill the database must open, pass SQLite's integrity check
 * and have every recording row's blob present with the right SHA-256; every few kills a re-run must
 * finish the import with exactly the expected rows and no blob left without a row.
 *
 * TINYM2_KILL_ITERATIONS sets the number of kills (default 50). The count is fixed, not the time: a loaded
 * machine takes longer but kills as often.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blobPath, sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { openStore } from '../../src-main/store/store';
import { seededRandom } from '../../src-main/train/random';
import { coswaraSkip } from '../audio/coswaraFixture';
import { assertSqliteIntact, runKillableChild, type ChildRun, type KillAt } from './killableChild';

const KILLS = Number(process.env.TINYM2_KILL_ITERATIONS ?? 50);
/** A round whose import beats every kill adds none; this many rounds short of KILLS is a failure, not a hang. */
const MAX_ROUNDS = 4 * KILLS;
const KILLS_PER_ROUND = 10;
const PARTICIPANTS = 8;
const EXPECTED_ROWS = PARTICIPANTS * 3;
const CHILD = new URL('./importChild.ts', import.meta.url).pathname;

function runChild(dataDir: string, killAt?: KillAt): Promise<ChildRun> {
  return runKillableChild(CHILD, [dataDir, String(PARTICIPANTS)], killAt);
}

/** What a restarted app would find; returns the number of recording rows. */
function verifyAfterCrash(dataDir: string, label: string): number {
  assertSqliteIntact(dataDir, label);
  const store = openStore({ dataDir });
  try {
    const rows = store.db.prepare('SELECT id, sha256, subject, modality FROM recordings').all() as { id: number; sha256: string; subject: string; modality: string }[];
    for (const r of rows) {
      const path = blobPath(store.blobsDir, r.sha256);
      assert.ok(existsSync(path), `${label}: recording ${r.id} (${r.subject}/${r.modality}) refers to a missing blob`);
      assert.equal(sha256Hex(readFileSync(path)), r.sha256, `${label}: blob of recording ${r.id} has the wrong content`);
    }
    const report = checkConsistency(store);
    assert.deepEqual(report.missingBlobs, [], `${label}: missing blobs`);
    const temp = join(store.blobsDir, '.tmp');
    assert.ok(!existsSync(temp) || readdirSync(temp).length === 0, `${label}: temp files were cleaned up`);
    return rows.length;
  } finally {
    store.close();
  }
}

test(`the store survives ${KILLS} SIGKILLs during a real import and a re-run completes it`, { skip: coswaraSkip, timeout: 600_000 }, async () => {
  const random = seededRandom(Number(process.env.TINYM2_KILL_SEED ?? 20260413));
  const t0 = performance.now();
  let kills = 0;
  let killedBeforeOpen = 0;
  let killedMidImport = 0;
  let rounds = 0;
  while (kills < KILLS && rounds < MAX_ROUNDS) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinym2-kill-'));
    try {
      let rows = 0;
      for (let k = 0; k < KILLS_PER_ROUND && kills < KILLS; k++) {
        // One kill in five lands in start-up or migration, the rest in blob writes and transactions.
        const killAt: KillAt = random.next() < 0.2 ? { from: 'spawn', ms: 50 + random.int(700) } : { from: 'open', ms: random.int(450) };
        const run = await runChild(dataDir, killAt);
        if (run.finished) {
          // The import beat the kill: nothing was interrupted, so this does not count as a kill.
          k--;
          break;
        }
        kills++;
        if (!run.opened) killedBeforeOpen++;
        const after = verifyAfterCrash(dataDir, `kill ${kills} ${killAt.ms} ms after ${killAt.from}`);
        assert.ok(after >= rows, 'committed rows never disappear');
        if (after > rows && after < EXPECTED_ROWS) killedMidImport++;
        rows = after;
      }
      const rerun = await runChild(dataDir);
      assert.ok(rerun.finished, `the re-run completes: ${rerun.stderr.slice(-800)}`);
      assert.match(rerun.stdout, new RegExp(`done ${EXPECTED_ROWS} 6`), 'every good file stored, the six empty ones reported');
      assert.equal(verifyAfterCrash(dataDir, `round ${rounds} re-run`), EXPECTED_ROWS);
      const store = openStore({ dataDir });
      const report = checkConsistency(store, { verifyHashes: true });
      const blobs = (store.db.prepare('SELECT COUNT(DISTINCT sha256) AS n FROM recordings').get() as { n: number }).n;
      store.close();
      assert.deepEqual(report.unreferencedBlobs, [], 'a blob orphaned by a kill is claimed by the re-run');
      assert.equal(blobs, EXPECTED_ROWS, 'each file stored once');
      rounds++;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`# ${kills} kills in ${rounds} rounds, ${seconds.toFixed(1)} s: ${killedBeforeOpen} before the store opened, ${killedMidImport} mid-import`);
  assert.equal(kills, KILLS, `only ${kills} of ${KILLS} kills interrupted an import in ${rounds} rounds`);
  assert.ok(killedMidImport >= kills / 4, `enough kills land mid-import (${killedMidImport} of ${kills})`);
});
