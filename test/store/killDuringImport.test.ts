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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkConsistency } from '../../src-main/store/consistency';
import { openStore } from '../../src-main/store/store';
import { seededRandom } from '../../src-main/train/random';
import { coswaraSkip } from '../audio/coswaraFixture';
import { killRounds, runKillableChild, verifyStoreAfterCrash } from './killableChild';

const KILLS = Number(process.env.TINYM2_KILL_ITERATIONS ?? 50);
const PARTICIPANTS = 8;
const EXPECTED_ROWS = PARTICIPANTS * 3;
const CHILD = new URL('./importChild.ts', import.meta.url).pathname;

test(`the store survives ${KILLS} SIGKILLs during a real import and a re-run completes it`, { skip: coswaraSkip, timeout: 600_000 }, async () => {
  const random = seededRandom(Number(process.env.TINYM2_KILL_SEED ?? 20260413));
  await killRounds({
    what: 'recording-import',
    kills: KILLS,
    killsPerRound: 10,
    newDataDir: () => mkdtempSync(join(tmpdir(), 'tinym2-kill-')),
    run: (dataDir, killAt) => runKillableChild(CHILD, [dataDir, String(PARTICIPANTS)], killAt),
    // One kill in five lands in start-up or migration, the rest in blob writes and transactions.
    killAt: () => (random.next() < 0.2 ? { from: 'spawn', ms: 50 + random.int(700) } : { from: 'open', ms: random.int(450) }),
    verify: (dataDir, label) =>
      verifyStoreAfterCrash(dataDir, label, (store) =>
        (store.db.prepare('SELECT id, sha256, subject, modality FROM recordings').all() as { id: number; sha256: string; subject: string; modality: string }[]).map((r) => ({
          what: `recording ${r.id} (${r.subject}/${r.modality})`,
          hashes: [r.sha256],
        })),
      ),
    expectedRows: EXPECTED_ROWS,
    verifyRerun: (dataDir, rerun) => {
      assert.match(rerun.stdout, new RegExp(`done ${EXPECTED_ROWS} 6`), 'every good file stored, the six empty ones reported');
      const store = openStore({ dataDir });
      const report = checkConsistency(store, { verifyHashes: true });
      const blobs = (store.db.prepare('SELECT COUNT(DISTINCT sha256) AS n FROM recordings').get() as { n: number }).n;
      store.close();
      assert.deepEqual(report.unreferencedBlobs, [], 'a blob orphaned by a kill is claimed by the re-run');
      assert.equal(blobs, EXPECTED_ROWS, 'each file stored once');
    },
  });
});
