import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApiResponse } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { repoRoot } from '../../src-main/storage/appPaths';
import { coswaraSkip } from '../audio/coswaraFixture';
import { EMPTY_COUGH_SUBJECT, writeCoswaraManifest } from './retrainManifest';

const tiny = { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 };

describe('Retrain API', { skip: coswaraSkip }, () => {
  let dir: string;
  let services: ServiceHandlers;
  let events: EventBus;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-api-'));
    const resourcesDir = join(repoRoot, 'resources');
    events = new EventBus();
    services = createServices({ paths: { dataDir: join(dir, 'data'), resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dir, 'data', 'models') }, transport: 'bridge', events, version: 'test' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function call<M extends keyof ServiceHandlers>(method: M, request: unknown): Promise<ApiResponse<M>> {
    const r = await dispatch(services, method, request);
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result as ApiResponse<M>;
  }

  test('requests are validated: relative paths, bad names, unknown targets, unknown runs', async () => {
    const rel = await dispatch(services, 'retrain.import', { source: 'data/manifest.csv' });
    assert.equal(rel.ok, false);
    assert.equal(!rel.ok && rel.error.field, 'source');
    const missing = await dispatch(services, 'retrain.import', { source: join(dir, 'nope.csv') });
    assert.ok(!missing.ok && /nope\.csv/.test(missing.error.message), 'a missing manifest is named');
    const badName = await dispatch(services, 'retrain.review', { datasetName: '../etc', labelColumn: 'label' });
    assert.ok(!badName.ok && badName.error.field === 'datasetName');
    const badTarget = await dispatch(services, 'retrain.start', { datasetName: 'x', labelColumn: 'label', target: 'gap9:l1' });
    assert.ok(!badTarget.ok && /field 'target'.*unknown target "gap9"/.test(badTarget.error.message), !badTarget.ok ? badTarget.error.message : '');
    const unknown = await dispatch(services, 'retrain.status', { runId: 'run-2026-11-25-deadbeef' });
    assert.ok(!unknown.ok && unknown.error.code === 'not_found');
    const targets = await call('retrain.targets', {});
    assert.ok(targets.targets.some((t) => t.id === 'gap8:l2') && targets.targets.some((t) => t.target === 'rpi4b'));
  });

  test('an import with empty files reports them by participant and modality and carries on; review warns about small classes', async () => {
    const manifest = writeCoswaraManifest(mkdtempSync(join(dir, 'm-')), 6);
    const report = await call('retrain.import', { source: manifest, name: 'small-clinic' });
    assert.equal(report.layout, 'manifest');
    assert.equal(report.recordings, 12 * 3 + 3);
    assert.equal(report.stored, 36);
    assert.equal(report.participants, 12, 'the participant with only empty files is not in the data set');
    assert.deepEqual(report.failed.map((f) => `${f.subject}/${f.modality}`).sort(), ['breathing', 'cough', 'speech'].map((m) => `${EMPTY_COUGH_SUBJECT}/${m}`));
    const cough = report.failed.find((f) => f.modality === 'cough')!;
    assert.match(cough.path, /cough-heavy\.wav$/);
    assert.ok(['empty', 'truncated'].includes(cough.reason), cough.reason);

    const review = await call('retrain.review', { datasetName: 'small-clinic', labelColumn: 'label' });
    assert.deepEqual(review.labelCounts, { female: 6, male: 6 });
    assert.deepEqual(review.modalities.map((m) => `${m.name}:${m.recordings}`).sort(), ['breathing:12', 'cough:12', 'speech:12']);
    assert.equal(review.trainable, true);
    assert.equal(review.warnings.filter((w) => /is small \(6 participants\)/.test(w)).length, 2);
    const split = review.split!;
    assert.equal(split.heldOut.length + split.train.length, 12);
    assert.equal(split.heldOut.filter((s) => split.train.includes(s)).length, 0, 'no participant is both held out and trained on');
    assert.ok((split.heldOutCounts.female ?? 0) >= 1 && (split.heldOutCounts.male ?? 0) >= 1, 'both classes held out');

    const wrongColumn = await dispatch(services, 'retrain.review', { datasetName: 'small-clinic', labelColumn: 'covid' });
    assert.ok(!wrongColumn.ok && /no label column 'covid'/.test(wrongColumn.error.message));

    const tinyManifest = writeCoswaraManifest(mkdtempSync(join(dir, 't-')), 2);
    await call('retrain.import', { source: tinyManifest, name: 'tiny' });
    const tinyReview = await call('retrain.review', { datasetName: 'tiny', labelColumn: 'label' });
    assert.equal(tinyReview.trainable, false);
    assert.ok(tinyReview.warnings.some((w) => /class 'female' has only 2 participants/.test(w)), tinyReview.warnings.join('|'));
    const refused = await dispatch(services, 'retrain.start', { datasetName: 'tiny', labelColumn: 'label', target: 'gap8:l2' });
    assert.ok(!refused.ok && /cannot train on tiny/.test(refused.error.message));
  });

  test('a running retrain can be cancelled: the job stops, the run says so and nothing is installed', { timeout: 60_000 }, async () => {
    const seen: string[] = [];
    const off = events.subscribe((e, p) => e === 'retrain.progress' && seen.push((p as { stage: string }).stage));
    const { runId } = await call('retrain.start', { datasetName: 'small-clinic', labelColumn: 'label', target: 'gap8:l2', options: { epochs: 200, students: [tiny] } });
    const deadline = Date.now() + 40_000;
    while ((await call('retrain.status', { runId })).status !== 'training' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    while (!seen.includes('teacher') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(seen.includes('teacher'), `teacher progress seen: ${seen.slice(-3).join(',')}`);
    assert.deepEqual(await call('retrain.cancel', { runId }), { cancelled: true });
    while (!['cancelled', 'failed'].includes((await call('retrain.status', { runId })).status) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    off();
    const status = await call('retrain.status', { runId });
    assert.equal(status.status, 'cancelled', status.error);
    const decide = await dispatch(services, 'retrain.decide', { runId, decision: 'accept' });
    assert.ok(!decide.ok && /only a finished, compared run/.test(decide.error.message));
    assert.equal(existsSync(join(dir, 'data', 'models')), false, 'no user model was written');
    const saved = JSON.parse(readFileSync(join(dir, 'data', 'retrain', 'runs', runId, 'run.json'), 'utf8')) as { status: string };
    assert.equal(saved.status, 'cancelled');
  });
});
