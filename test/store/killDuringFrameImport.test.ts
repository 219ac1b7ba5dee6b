/**
 * The store's crash promise for frame imports, the sibling of killDuringImport.test.ts (recordings): a
 * child process imports a generated depth + thermal set (a truncated PNG and a lone thermal frame
 * included) and is SIGKILLed at random moments — opening or migrating the database, checking frames,
 * writing the two blobs of a pair, or inside the row's transaction. After every kill the database must
 * open, pass SQLite's integrity check and have both blobs of every frame pair present with the right
 * SHA-256; after each round a re-run must finish the import with exactly the expected pairs and no blob
 * left without a row.
 *
 * TINYM2_FRAME_KILL_ITERATIONS sets the number of kills (default 25); the count is fixed, not the time.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { blobPath, sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { openStore } from '../../src-main/store/store';
import { seededRandom } from '../../src-main/train/random';
import { assertSqliteIntact, runKillableChild, type ChildRun, type KillAt } from './killableChild';

const KILLS = Number(process.env.TINYM2_FRAME_KILL_ITERATIONS ?? 25);
/** A round whose import beats every kill adds none; this many rounds short of KILLS is a failure, not a hang. */
const MAX_ROUNDS = 4 * KILLS;
const KILLS_PER_ROUND = 8;
const PAIRS = 60;
const CHILD = new URL('./frameImportChild.ts', import.meta.url).pathname;

let root = '';
let setDir = '';
/** SHA-256 of every good file: what the store must hold once an import has finished. */
let expectedHashes: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tinym2-frame-kill-'));
  setDir = join(root, 'set');
  await generatePoseSet({ out: setDir, n: PAIRS, seed: 61, subjects: 4, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 });
  const files: string[] = [];
  for (const label of readdirSync(setDir).filter((d) => !d.includes('.')).sort()) {
    for (const subject of readdirSync(join(setDir, label)).sort()) files.push(...readdirSync(join(setDir, label, subject)).sort().map((f) => join(setDir, label, subject, f)));
  }
  // One pair loses to a cut-off depth PNG; a thermal frame without its depth partner is added.
  const truncated = files[0]!;
  assert.match(truncated, /_depth\.png$/);
  const bytes = readFileSync(truncated);
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  writeFileSync(files[1]!.replace(/[^/]*_thermal\.png$/, 'lone_thermal.png'), readFileSync(files[1]!));
  expectedHashes = [...new Set(files.slice(2).map((f) => sha256Hex(readFileSync(f))))].sort();
  assert.equal(expectedHashes.length, 2 * (PAIRS - 1), 'every good file is distinct');
});
after(() => rmSync(root, { recursive: true, force: true }));

function runChild(dataDir: string, killAt?: KillAt): Promise<ChildRun> {
  return runKillableChild(CHILD, [dataDir, setDir], killAt);
}

/** What a restarted app would find; returns the number of frame pair rows. */
function verifyAfterCrash(dataDir: string, label: string): number {
  assertSqliteIntact(dataDir, label);
  const store = openStore({ dataDir });
  try {
    const rows = store.db.prepare('SELECT id, subject, frame_key AS frameKey, depth_sha256 AS depth, thermal_sha256 AS thermal FROM frame_pairs').all() as {
      id: number;
      subject: string;
      frameKey: string;
      depth: string;
      thermal: string;
    }[];
    for (const r of rows) {
      for (const hash of [r.depth, r.thermal]) {
        const path = blobPath(store.blobsDir, hash);
        assert.ok(existsSync(path), `${label}: frame pair ${r.id} (${r.subject}/${r.frameKey}) refers to a missing blob`);
        assert.equal(sha256Hex(readFileSync(path)), hash, `${label}: a blob of frame pair ${r.id} has the wrong content`);
      }
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

test(`the store survives ${KILLS} SIGKILLs during a real frame import and a re-run completes it`, { timeout: 600_000 }, async () => {
  const random = seededRandom(Number(process.env.TINYM2_KILL_SEED ?? 20261125));
  const t0 = performance.now();
  let kills = 0;
  let killedBeforeOpen = 0;
  let killedMidImport = 0;
  let rounds = 0;
  while (kills < KILLS && rounds < MAX_ROUNDS) {
    const dataDir = mkdtempSync(join(root, 'store-'));
    try {
      let rows = 0;
      for (let k = 0; k < KILLS_PER_ROUND && kills < KILLS; k++) {
        // One kill in five lands in start-up or migration; the rest while frames are checked and stored,
        // within the time the pairs still missing take (~17 ms each: two fsynced blobs and a commit).
        const killAt: KillAt = random.next() < 0.2 ? { from: 'spawn', ms: 50 + random.int(700) } : { from: 'open', ms: random.int(200 + 17 * (PAIRS - 1 - rows)) };
        const run = await runChild(dataDir, killAt);
        if (run.finished) break;
        kills++;
        if (!run.opened) killedBeforeOpen++;
        const after = verifyAfterCrash(dataDir, `kill ${kills} ${killAt.ms} ms after ${killAt.from}`);
        assert.ok(after >= rows, 'committed rows never disappear');
        if (after > rows && after < PAIRS - 1) killedMidImport++;
        rows = after;
      }
      const rerun = await runChild(dataDir);
      assert.ok(rerun.finished, `the re-run completes: ${rerun.stderr.slice(-800)}`);
      assert.match(rerun.stdout, new RegExp(`done ${PAIRS - 1} 2`), 'every good pair stored, the truncated and the lone file reported');
      assert.equal(verifyAfterCrash(dataDir, `round ${rounds} re-run`), PAIRS - 1);
      const store = openStore({ dataDir });
      const report = checkConsistency(store, { verifyHashes: true });
      const stored = (store.db.prepare('SELECT depth_sha256 AS h FROM frame_pairs UNION SELECT thermal_sha256 FROM frame_pairs ORDER BY h').all() as { h: string }[]).map((r) => r.h);
      store.close();
      assert.deepEqual(report.unreferencedBlobs, [], 'a blob orphaned by a kill is claimed by the re-run');
      assert.deepEqual(stored, expectedHashes, 'each good file stored once, under its own hash');
      rounds++;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`# ${kills} frame-import kills in ${rounds} rounds, ${seconds.toFixed(1)} s: ${killedBeforeOpen} before the store opened, ${killedMidImport} mid-import`);
  assert.equal(kills, KILLS, `only ${kills} of ${KILLS} kills interrupted an import in ${rounds} rounds`);
  assert.ok(killedMidImport >= kills / 4, `enough kills land mid-import (${killedMidImport} of ${kills})`);
});
