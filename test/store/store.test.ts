import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { blobPath, putBlob, sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { datasetHashes, loadDataset, saveDataset } from '../../src-main/store/datasets';
import { listDeployments, recordDeployment } from '../../src-main/store/deployments';
import { importRecordings } from '../../src-main/store/importRecordings';
import { labelsOf } from '../../src-main/store/labels';
import { MIGRATIONS, schemaVersion } from '../../src-main/store/migrations';
import { addModel, listModels, setModelStatus } from '../../src-main/store/modelRecords';
import { openStore } from '../../src-main/store/store';
import { finishTrainingRun, getTrainingRun, startTrainingRun } from '../../src-main/store/trainingRuns';
import { coswaraSkip } from '../audio/coswaraFixture';
import { coswaraBatch, EMPTY_SUBJECTS } from './coswaraRefs';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tinym2-store-'));
}

test('a new store is migrated to the latest schema in WAL mode, once, and refuses a newer schema', () => {
  const dir = tempDir();
  try {
    const store = openStore({ dataDir: dir });
    assert.equal(store.file, join(dir, 'store.sqlite'));
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
    const rows = store.db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    store.close();
    const again = openStore({ dataDir: dir });
    assert.equal((again.db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n, MIGRATIONS.length, 'reopening applies nothing twice');
    again.db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(999, 'future');
    again.close();
    assert.throws(() => openStore({ dataDir: dir }), /schema version 999, newer than this app understands/);
    const custom = openStore({ dataDir: dir, file: join(dir, 'other.sqlite') });
    assert.ok(existsSync(join(dir, 'other.sqlite')));
    custom.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing migration leaves the database at the previous version', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'store.sqlite');
    const db = new Database(file);
    const { migrate } = await import('../../src-main/store/migrations');
    assert.throws(() =>
      migrate(db, [
        { version: 1, description: 'ok', sql: 'CREATE TABLE a (x INTEGER)' },
        { version: 2, description: 'broken', sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE b (y INTEGER)' },
      ]),
    );
    assert.equal(schemaVersion(db), 1);
    const tableB = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'b'").get() as { n: number };
    assert.equal(tableB.n, 0, 'the half-applied migration was rolled back');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('blobs are content-addressed, written once and land under ab/cdef…', () => {
  const dir = tempDir();
  try {
    const bytes = new TextEncoder().encode('a recording');
    const a = putBlob(dir, bytes);
    const b = putBlob(dir, bytes);
    assert.equal(a.hash, sha256Hex(bytes));
    assert.deepEqual([a.written, b.written], [true, false]);
    assert.equal(blobPath(dir, a.hash), join(dir, a.hash.slice(0, 2), a.hash.slice(2)));
    assert.deepEqual(readFileSync(blobPath(dir, a.hash)), Buffer.from(bytes));
    assert.throws(() => blobPath(dir, '../etc/passwd'), /not a SHA-256 blob hash/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing real Coswara recordings stores each file once, reports the empty ones and is idempotent', { skip: coswaraSkip }, async () => {
  const dir = tempDir();
  try {
    const store = openStore({ dataDir: dir });
    const { refs, labels } = coswaraBatch(4);
    const first = await importRecordings(store, refs, labels, { labelledBy: 'tester' });
    assert.equal(first.failed.length, EMPTY_SUBJECTS.length * 3, 'the six empty files are reported');
    assert.ok(first.failed.every((f) => f.reason === 'empty' && EMPTY_SUBJECTS.includes(f.ref.subject!)), JSON.stringify(first.failuresByReason));
    assert.equal(first.stored.length, refs.length - 6);
    for (const s of first.stored) {
      assert.equal(sha256Hex(readFileSync(blobPath(store.blobsDir, s.sha256))), s.sha256);
      assert.deepEqual(readFileSync(blobPath(store.blobsDir, s.sha256)), readFileSync(s.ref.path), 'the blob is a byte copy of the source');
    }
    const second = await importRecordings(store, refs, labels, { labelledBy: 'someone else' });
    assert.ok(second.stored.every((s) => !s.newBlob && !s.newRow), 'nothing new the second time');
    const count = (store.db.prepare('SELECT COUNT(*) AS n FROM recordings').get() as { n: number }).n;
    assert.equal(count, first.stored.length);
    // The same bytes under another subject: a second row, still one blob.
    const dup = await importRecordings(store, [{ ...refs[0]!, subject: 'LOCAL-0001' }]);
    assert.equal(dup.stored[0]!.newBlob, false);
    assert.equal(dup.stored[0]!.newRow, true);
    const row = store.db.prepare('SELECT * FROM recordings WHERE id = ?').get(first.stored[0]!.recordingId) as Record<string, unknown>;
    assert.equal(row.sample_rate, 48000);
    assert.ok((row.duration_seconds as number) > 0.5);
    assert.ok(Array.isArray((JSON.parse(row.quality as string) as { issues: unknown }).issues));
    const subject = refs[0]!.subject!;
    const label = labelsOf(store, subject);
    assert.deepEqual(label.map((l) => [l.labelColumn, l.setBy]), [['g', 'tester']], 'an unchanged label keeps its author');
    assert.equal(labelsOf(store, EMPTY_SUBJECTS[0]!).length, 1, 'participants whose files were all bad keep their labels');
    const report = checkConsistency(store, { verifyHashes: true });
    assert.deepEqual(report.missingBlobs, []);
    assert.deepEqual(report.unreferencedBlobs, []);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the startup check removes temp files, reports unreferenced blobs and rows whose blob is missing', () => {
  const dir = tempDir();
  try {
    const store = openStore({ dataDir: dir });
    mkdirSync(join(store.blobsDir, '.tmp'), { recursive: true });
    writeFileSync(join(store.blobsDir, '.tmp', 'half-written'), 'x');
    const orphan = putBlob(store.blobsDir, new TextEncoder().encode('no row'));
    store.db.prepare("INSERT INTO subjects (code, created_at) VALUES ('S1', 'now')").run();
    const lost = sha256Hex(new TextEncoder().encode('never written'));
    store.db
      .prepare("INSERT INTO recordings (sha256, subject, modality, source_path, byte_size, duration_seconds, sample_rate, channels, quality, imported_at) VALUES (?, 'S1', 'cough', '/x.wav', 1, 1, 16000, 1, '{}', 'now')")
      .run(lost);
    const report = checkConsistency(store);
    assert.equal(report.removedTempFiles, 1);
    assert.deepEqual(report.unreferencedBlobs, [orphan.hash]);
    assert.deepEqual(report.missingBlobs.map((m) => m.sha256), [lost]);
    assert.ok(existsSync(blobPath(store.blobsDir, orphan.hash)), 'kept unless asked');
    checkConsistency(store, { removeUnreferencedBlobs: true });
    assert.ok(!existsSync(blobPath(store.blobsDir, orphan.hash)));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data sets, models, training runs and deployments round-trip', () => {
  const dir = tempDir();
  try {
    const store = openStore({ dataDir: dir });
    for (const s of ['A', 'B']) store.db.prepare('INSERT INTO subjects (code, created_at) VALUES (?, ?)').run(s, 'now');
    const blob = putBlob(store.blobsDir, new TextEncoder().encode('cough'));
    store.db
      .prepare("INSERT INTO recordings (sha256, subject, modality, source_path, byte_size, duration_seconds, sample_rate, channels, quality, imported_at) VALUES (?, 'A', 'cough', '/a.wav', 5, 1, 16000, 1, '{}', 'now')")
      .run(blob.hash);
    saveDataset(store, 'clinic-1', ['B', 'A', 'A'], 'covid_status');
    assert.deepEqual(loadDataset(store, 'clinic-1')?.subjects, ['A', 'B']);
    assert.throws(() => saveDataset(store, 'bad', ['nobody']), /subject 'nobody' is not in the store/);
    assert.deepEqual(datasetHashes(store, 'clinic-1'), [blob.hash]);

    const run = startTrainingRun(store, { seed: 3, dataHashes: [blob.hash], recipe: { epochs: 2 }, codeVersion: '0.1.0' });
    finishTrainingRun(store, run, 'succeeded', { valBalancedAccuracy: 0.8 });
    assert.deepEqual(getTrainingRun(store, run)?.metrics, { valBalancedAccuracy: 0.8 });

    addModel(store, { id: 'audio', version: '1', packageDir: '/p/1', status: 'current' });
    addModel(store, { id: 'audio', version: '2', packageDir: '/p/2', trainingRunId: run });
    setModelStatus(store, 'audio', '2', 'current');
    assert.deepEqual(listModels(store, 'audio').map((m) => [m.version, m.status]), [['1', 'candidate'], ['2', 'current']]);
    assert.throws(() => setModelStatus(store, 'audio', '9', 'rejected'), /audio@9 is not in the store/);
    recordDeployment(store, { modelId: 'audio', modelVersion: '2', device: 'gapuino-1', result: 'succeeded' });
    assert.equal(listDeployments(store, 'gapuino-1')[0]!.modelVersion, '2');
    assert.throws(() => recordDeployment(store, { modelId: 'audio', modelVersion: '7', device: 'x', result: 'failed' }), /FOREIGN KEY/);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
