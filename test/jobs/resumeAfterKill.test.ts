import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JobRunner } from '../../src-main/jobs/jobRunner';
import type { TrainTeacherResult } from '../../src-main/jobs/jobSpec';
import { readFloatModel } from '../../src-main/model/weightsFile';
import { openStore } from '../../src-main/store/store';
import { trainSpec, writeToySamples } from './toyJob';

const EPOCHS = 10;
const KILL_AFTER_EPOCHS = 4;
let dir: string;
let samples: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tinym2-resume-'));
  samples = writeToySamples(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the app child until it has checkpointed `epochs` epochs of its job, then SIGKILLs it. */
function runAndKill(dataDir: string, specFile: string, epochs: number): Promise<{ jobId: number; lastCheckpoint: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./runnerChild.ts', import.meta.url).pathname, dataDir, specFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lastCheckpoint = 0;
    let jobId = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/checkpoint (\d+) (\d+)/g)) {
        jobId = Number(m[1]);
        lastCheckpoint = Math.max(lastCheckpoint, Number(m[2]));
      }
      if (lastCheckpoint >= epochs) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolveRun({ jobId, lastCheckpoint }) : reject(new Error(`the child ended without being killed: ${err.slice(-1000)}`))));
  });
}

test('a training job whose app was killed mid-training resumes from its checkpoint and ends where an uninterrupted run ends', { timeout: 120_000 }, async () => {
  const dataDir = join(dir, 'killed');
  const output = join(dir, 'resumed-teacher.json');
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(trainSpec(samples, output, EPOCHS)));
  const killed = await runAndKill(dataDir, specFile, KILL_AFTER_EPOCHS);
  assert.ok(killed.lastCheckpoint >= KILL_AFTER_EPOCHS && killed.lastCheckpoint < EPOCHS, `killed after ${killed.lastCheckpoint} epochs`);

  // The restarted app.
  const store = openStore({ dataDir });
  const runner = new JobRunner(store);
  try {
    const interrupted = runner.start();
    assert.deepEqual(interrupted.map((j) => j.id), [killed.jobId], 'the restarted app lists the interrupted job');
    const row = interrupted[0]!;
    assert.equal(row.status, 'interrupted');
    assert.ok(row.checkpoint && row.checkpoint.epochsDone >= killed.lastCheckpoint, 'its row says where it was');
    assert.ok(existsSync(row.checkpoint!.file));
    runner.resume(row.id);
    const job = await runner.whenFinished(row.id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const resumed = job.result as TrainTeacherResult;
    assert.equal(resumed.resumedFromEpoch, row.checkpoint!.epochsDone);
    assert.equal(resumed.epochsRun, EPOCHS - row.checkpoint!.epochsDone, 'only the remaining epochs ran');
    assert.ok(resumed.epochsRun < EPOCHS);
    assert.deepEqual(job.progress!.curves.teacher!.map((e) => e.epoch), Array.from({ length: EPOCHS }, (_, i) => i), 'the curves span the whole run');

    // The same job from scratch, in the same runner: same best epoch, same weights.
    const scratchOutput = join(dir, 'scratch-teacher.json');
    const scratch = await runner.whenFinished(runner.submit(trainSpec(samples, scratchOutput, EPOCHS)));
    const full = scratch.result as TrainTeacherResult;
    assert.equal(full.epochsRun, EPOCHS);
    console.log(`# resumed at epoch ${resumed.resumedFromEpoch}: ran ${resumed.epochsRun} epochs instead of ${full.epochsRun}; best val loss ${resumed.bestValLoss.toExponential(3)} vs ${full.bestValLoss.toExponential(3)}`);
    assert.equal(resumed.bestEpoch, full.bestEpoch);
    assert.deepEqual(readFloatModel(output).weights, readFloatModel(scratchOutput).weights, 'resuming gives exactly the weights of an uninterrupted run');
  } finally {
    await runner.close();
    store.close();
  }
});

test('closing the runner mid-job leaves the job interrupted, and the next runner resumes it', { timeout: 60_000 }, async () => {
  const dataDir = join(dir, 'closed');
  let store = openStore({ dataDir });
  let runner = new JobRunner(store);
  runner.start();
  const id = runner.submit(trainSpec(samples, join(dir, 'closed-teacher.json'), 6));
  const queued = runner.submit(trainSpec(samples, join(dir, 'queued-teacher.json'), 2));
  await new Promise<void>((resolveCheckpoint) => {
    const off = runner.subscribe((e) => {
      if (e.type === 'checkpoint' && e.jobId === id && e.checkpoint.epochsDone >= 2) {
        off();
        resolveCheckpoint();
      }
    });
  });
  await runner.close();
  assert.equal(runner.get(id)!.status, 'interrupted');
  assert.equal(runner.get(queued)!.status, 'queued', 'a queued job stays queued');
  store.close();

  store = openStore({ dataDir });
  runner = new JobRunner(store);
  try {
    const interrupted = runner.start();
    assert.deepEqual(interrupted.map((j) => j.id), [id]);
    assert.equal(runner.get(queued)!.status, 'running', 'start() picks up the queued job');
    assert.throws(() => runner.resume(queued), /is running; only interrupted or failed jobs can be resumed/);
    runner.resume(id);
    // The queued job started first on restart; the resumed one waits its turn behind it.
    const [first, second] = await Promise.all([runner.whenFinished(queued), runner.whenFinished(id)]);
    assert.equal(first.status, 'succeeded', first.error ?? '');
    assert.equal(second.status, 'succeeded', second.error ?? '');
    const r = second.result as TrainTeacherResult;
    assert.ok(r.resumedFromEpoch >= 2 && r.epochsRun === 6 - r.resumedFromEpoch, JSON.stringify(r));
  } finally {
    await runner.close();
    store.close();
  }
});
