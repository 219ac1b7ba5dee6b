import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadCoswara } from '../../src-main/datasets/coswaraDataset';
import { repoRoot } from '../../src-main/storage/appPaths';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

function tinym2(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/**
 * The analyst's headless path on real recordings: a CSV manifest of 16 Coswara participants (one with
 * empty files), train → compress → eval → export, each a separate process sharing only files.
 */
test('tinym2 train, compress, eval and export on a manifest of real recordings', { skip: coswaraSkip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm2-cli-train-'));
  try {
    const coswara = loadCoswara(COSWARA_DIR);
    const females = coswara.subjects.filter((s) => s.labels.g === 'female').slice(0, 7);
    const males = coswara.subjects.filter((s) => s.labels.g === 'male').slice(0, 8);
    const withEmpty = coswara.subjects.filter((s) => s.id === 'TRK6gUseEUS7dbF0soG80W1uLm53');
    const rows = ['subject,label,modality,path'];
    // A manifest's paths stay inside its folder (absolute paths are refused), so the recordings are copied beside it.
    for (const s of [...females, ...males, ...withEmpty]) {
      mkdirSync(join(dir, s.id));
      for (const [m, p] of Object.entries(s.recordings)) {
        copyFileSync(p, join(dir, s.id, basename(p)));
        rows.push(`${s.id},${s.labels.g},${m},${s.id}/${basename(p)}`);
      }
    }
    const manifest = join(dir, 'manifest.csv');
    writeFileSync(manifest, `${rows.join('\n')}\n`);
    const env = { TINYM2_DATA_DIR: join(dir, 'data') };

    const run = join(dir, 'run');
    const train = await tinym2(['train', manifest, '--label', 'label', '--epochs', '2', '--crops', '1', '--out', run], env);
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /grouped folds: \d+ train, \d+ validation, \d+ test participants; classes female, male/);
    assert.match(train.stderr, /skipped TRK6gUseEUS7dbF0soG80W1uLm53\/cough: .*empty/);
    assert.ok(existsSync(join(run, 'teacher.model.json')) && existsSync(join(run, 'run.json')));

    const bad = await tinym2(['compress', run, '--target', 'gap9:l1'], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown target "gap9".*valid ids: .*gap8:l1-cluster/);

    const pkg = join(dir, 'pkg');
    const compress = await tinym2(['compress', run, '--target', 'gap8:l1-cluster', '--max-weight-bytes', '6144', '--out', pkg, '--id', 'cli-test'], env);
    assert.equal(compress.status, 0, compress.stderr);
    assert.match(compress.stdout, /^\s+\* /m, 'the chosen student is marked');
    const meta = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8')) as { memory: { weightBytes: number; fits: { target: string; level: string; fits: boolean }[] } };
    assert.ok(meta.memory.weightBytes <= 6144);
    assert.ok(meta.memory.fits.find((f) => f.target === 'gap8' && f.level === 'l1-cluster')!.fits);

    const evaluation = await tinym2(['eval', pkg, manifest, '--label', 'label', '--json'], env);
    assert.equal(evaluation.status, 0, evaluation.stderr);
    const r = JSON.parse(evaluation.stdout) as { participants: number; balancedAccuracy: number; skipped: { subject: string }[]; confusion: number[][] };
    assert.equal(r.participants, 15);
    assert.deepEqual(r.skipped.map((s) => s.subject), ['TRK6gUseEUS7dbF0soG80W1uLm53']);
    assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 15);

    const onnx = join(dir, 'model.onnx');
    const exported = await tinym2(['export', pkg, '--format', 'onnx-int8', '--out', onnx], env);
    assert.equal(exported.status, 0, exported.stderr);
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    assert.deepEqual(session.inputNames, ['cough', 'speech', 'breathing']);
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
