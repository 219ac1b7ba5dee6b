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
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { openStore } from '../../src-main/store/store';
import { seededRandom } from '../../src-main/train/random';
import { killRounds, runKillableChild, verifyStoreAfterCrash } from './killableChild';

const KILLS = Number(process.env.TINYM2_FRAME_KILL_ITERATIONS ?? 25);
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

test(`the store survives ${KILLS} SIGKILLs during a real frame import and a re-run completes it`, { timeout: 600_000 }, async () => {
  const random = seededRandom(Number(process.env.TINYM2_KILL_SEED ?? 20261125));
  await killRounds({
    what: 'frame-import',
    kills: KILLS,
    killsPerRound: 8,
    newDataDir: () => mkdtempSync(join(root, 'store-')),
    run: (dataDir, killAt) => runKillableChild(CHILD, [dataDir, setDir], killAt),
    // One kill in five lands in start-up or migration; the rest while frames are checked and stored,
    // within the time the pairs still missing take (~17 ms each: two fsynced blobs and a commit).
    killAt: (rows) => (random.next() < 0.2 ? { from: 'spawn', ms: 50 + random.int(700) } : { from: 'open', ms: random.int(200 + 17 * (PAIRS - 1 - rows)) }),
    verify: (dataDir, label) =>
      verifyStoreAfterCrash(dataDir, label, (store) =>
        (
          store.db.prepare('SELECT id, subject, frame_key AS frameKey, depth_sha256 AS depth, thermal_sha256 AS thermal FROM frame_pairs').all() as {
            id: number;
            subject: string;
            frameKey: string;
            depth: string;
            thermal: string;
          }[]
        ).map((r) => ({ what: `frame pair ${r.id} (${r.subject}/${r.frameKey})`, hashes: [r.depth, r.thermal] })),
      ),
    expectedRows: PAIRS - 1,
    verifyRerun: (dataDir, rerun) => {
      assert.match(rerun.stdout, new RegExp(`done ${PAIRS - 1} 2`), 'every good pair stored, the truncated and the lone file reported');
      const store = openStore({ dataDir });
      const report = checkConsistency(store, { verifyHashes: true });
      const stored = (store.db.prepare('SELECT depth_sha256 AS h FROM frame_pairs UNION SELECT thermal_sha256 FROM frame_pairs ORDER BY h').all() as { h: string }[]).map((r) => r.h);
      store.close();
      assert.deepEqual(report.unreferencedBlobs, [], 'a blob orphaned by a kill is claimed by the re-run');
      assert.deepEqual(stored, expectedHashes, 'each good file stored once, under its own hash');
    },
  });
});
