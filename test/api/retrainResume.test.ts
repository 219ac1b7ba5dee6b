import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ApiResponse } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { repoRoot } from '../../src-main/storage/appPaths';
import { coswaraSkip } from '../audio/coswaraFixture';
import { writeCoswaraManifest } from './retrainManifest';

const EPOCHS = 6;
const KILL_AFTER = 2;
const dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the app in a child process and kills it (SIGKILL: no chance to tidy up) once the teacher has a few epochs. */
function startAndKill(dataDir: string, manifest: string): Promise<{ runId: string; epochs: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./retrainChild.ts', import.meta.url).pathname, dataDir, manifest, String(EPOCHS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let epochs = 0;
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        const [word, value] = line.split(' ');
        if (word === 'run') runId = value!;
        if (word === 'epoch') epochs = Math.max(epochs, Number(value));
      }
      if (runId && epochs >= KILL_AFTER) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolveRun({ runId, epochs }) : reject(new Error(`the child ended without being killed: ${err.slice(-1500)}`))));
  });
}

test('a retrain whose app was killed mid-training is shown as interrupted and resumes from its checkpoint to a compared candidate', { skip: coswaraSkip, timeout: 120_000 }, async () => {
  const dataDir = join(dir, 'data');
  const killed = await startAndKill(dataDir, writeCoswaraManifest(mkdtempSync(join(dir, 'm-')), 6));
  assert.ok(killed.epochs >= KILL_AFTER && killed.epochs < EPOCHS, `killed after ${killed.epochs} teacher epochs`);

  const resourcesDir = join(repoRoot, 'resources');
  const services: ServiceHandlers = createServices({ paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events: new EventBus(), version: 'test' });
  const call = async <M extends keyof ServiceHandlers>(method: M, request: unknown): Promise<ApiResponse<M>> => {
    const r = await dispatch(services, method, request);
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result as ApiResponse<M>;
  };
  const before = await call('retrain.status', { runId: killed.runId });
  assert.equal(before.status, 'interrupted');
  const cancelled = await dispatch(services, 'retrain.resume', { runId: 'run-2026-01-01-00000000' });
  assert.ok(!cancelled.ok && cancelled.error.code === 'not_found');
  assert.deepEqual(await call('retrain.resume', { runId: killed.runId }), { resumed: true });
  let s = await call('retrain.status', { runId: killed.runId });
  while (['interrupted', 'queued', 'training', 'compressing', 'comparing'].includes(s.status)) {
    await new Promise((r) => setTimeout(r, 250));
    s = await call('retrain.status', { runId: killed.runId });
  }
  assert.equal(s.status, 'ready', s.error);
  // Continued, not restarted: every epoch once, in order (a restart would repeat the early ones).
  assert.deepEqual(s.curves.teacher?.map((e) => e.epoch), [...Array(EPOCHS).keys()]);
  assert.equal(s.comparison?.candidate.participants, s.heldOut.length);
  const again = await dispatch(services, 'retrain.resume', { runId: killed.runId });
  assert.ok(!again.ok && /only an interrupted run can be resumed/.test(again.error.message));
});
