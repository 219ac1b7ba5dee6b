import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeFailure, importRecordings, type RecordingRef } from '../../src-main/audio/importReport';
import { COSWARA_DIR, coswaraSkip } from './coswaraFixture';

const MODALITY_FILES = { cough: 'cough-heavy.wav', speech: 'counting-normal.wav', breathing: 'breathing-deep.wav' } as const;

test('importing the whole real batch carries on past the six empty recordings and lists them', { skip: coswaraSkip }, async () => {
  const refs: RecordingRef[] = [];
  for (const subject of readdirSync(COSWARA_DIR).sort()) {
    if (!statSync(join(COSWARA_DIR, subject)).isDirectory()) continue;
    for (const [modality, file] of Object.entries(MODALITY_FILES)) refs.push({ path: join(COSWARA_DIR, subject, file), subject, modality });
  }
  // A non-audio file in the batch must not stop it either.
  refs.push({ path: join(COSWARA_DIR, 'README.md'), subject: 'stray', modality: 'notes' });
  let progressCalls = 0;
  const report = await importRecordings(refs, { keepSamples: false, onProgress: () => progressCalls++ });
  assert.equal(refs.length, 76 * 3 + 1);
  assert.equal(progressCalls, refs.length);
  assert.equal(report.imported.length, 76 * 3 - 6);
  assert.deepEqual(report.failuresByReason, { empty: 6, notWav: 1 });
  const empty = report.failed.filter((f) => f.reason === 'empty').map((f) => `${f.ref.subject}/${f.ref.modality}`).sort();
  assert.deepEqual(empty, [
    '9XKj7fAmvwPUas9GFPZuTpev7T03/breathing',
    '9XKj7fAmvwPUas9GFPZuTpev7T03/cough',
    '9XKj7fAmvwPUas9GFPZuTpev7T03/speech',
    'TRK6gUseEUS7dbF0soG80W1uLm53/breathing',
    'TRK6gUseEUS7dbF0soG80W1uLm53/cough',
    'TRK6gUseEUS7dbF0soG80W1uLm53/speech',
  ]);
  const line = describeFailure(report.failed.find((f) => f.ref.subject === 'TRK6gUseEUS7dbF0soG80W1uLm53' && f.ref.modality === 'cough')!);
  assert.match(line, /^TRK6gUseEUS7dbF0soG80W1uLm53 \/ cough: empty — .*cough-heavy\.wav: the recording is empty/);
  // Every imported recording is reported at its native rate, and the ten native-rate participants are there.
  const rates = new Map<number, number>();
  for (const e of report.imported) rates.set(e.source.sampleRate, (rates.get(e.source.sampleRate) ?? 0) + 1);
  assert.equal(rates.get(16000), 66 * 3 - 6);
  assert.equal((rates.get(48000) ?? 0) + (rates.get(44100) ?? 0), 30);
  assert.ok(report.imported.every((e) => e.recording === undefined && e.durationSeconds > 0));
});

test('samples are kept by default and are 16 kHz mono', { skip: coswaraSkip }, async () => {
  const report = await importRecordings([{ path: join(COSWARA_DIR, 'jRjAYMmAQee5uVm5fU8yVnpuvs33', 'cough-heavy.wav') }]);
  const rec = report.imported[0]!.recording!;
  assert.equal(report.imported[0]!.source.sampleRate, 44100);
  assert.equal(rec.sampleRate, 16000);
  assert.ok(Math.abs(rec.samples.length / 16000 - rec.durationSeconds) < 1e-9);
});
