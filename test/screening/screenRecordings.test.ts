import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync as exists } from 'node:fs';
import { before, describe, test } from 'node:test';
import { repoRoot } from '../../src-main/storage/appPaths';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
import { AUDIO_FIXTURE_ID, audioFixturePackage } from './audioPackageFixture';
import { screeningApi, type ScreeningApi } from './screeningApi';

const participant = (id: string) => ({
  cough: join(COSWARA_DIR, id, 'cough-heavy.wav'),
  speech: join(COSWARA_DIR, id, 'counting-normal.wav'),
  breathing: join(COSWARA_DIR, id, 'breathing-deep.wav'),
});
const full = participant('Eoyf44CUffgVCPPjJJkopEyAO7k2');
const empty = participant('TRK6gUseEUS7dbF0soG80W1uLm53');
const b64 = (path: string) => readFileSync(path).toString('base64');

function assertValidResult(r: { probabilities: Record<string, number>; label: string; labels: string[]; confidence: number; disclaimer: string; model: { id: string } }) {
  const sum = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, `probabilities sum to ${sum}`);
  assert.deepEqual(r.labels, ['female', 'male']);
  assert.ok(r.labels.includes(r.label));
  assert.equal(r.confidence, r.probabilities[r.label]);
  assert.equal(r.confidence, Math.max(...Object.values(r.probabilities)));
  assert.match(r.disclaimer, /screening aid, not a diagnosis/);
  assert.equal(r.model.id, AUDIO_FIXTURE_ID);
}

describe('screening API on real Coswara recordings', { skip: coswaraSkip }, () => {
  let api: ScreeningApi;
  before(async () => {
    api = await screeningApi([await audioFixturePackage()]);
  });

  test('classifyFiles on three real WAVs gives a full, valid result', async () => {
    const r = await api.call('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: full, subjectCode: 'S-0001' });
    assertValidResult(r);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.modalities.map((m) => [m.name, m.used]), [['cough', true], ['speech', true], ['breathing', true]]);
    const shares = Object.values(r.contributions);
    assert.equal(shares.length, 3);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.equal(r.subjectCode, 'S-0001');
  });

  test('a missing modality still answers and is named; an empty file is named with its reason', async () => {
    const partial = await api.call('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: { speech: full.speech } });
    assertValidResult(partial);
    assert.deepEqual(partial.missing, [
      { modality: 'cough', reason: 'no cough recording was given' },
      { modality: 'breathing', reason: 'no breathing recording was given' },
    ]);
    assert.deepEqual(Object.keys(partial.contributions), ['speech']);
    const withEmpty = await api.call('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: { ...full, cough: empty.cough } });
    assertValidResult(withEmpty);
    assert.deepEqual(withEmpty.missing, [{ modality: 'cough', reason: `${empty.cough}: the recording is empty (0 samples)` }]);
  });

  test('nothing usable at all is an error that lists every reason', async () => {
    const e = await api.fail('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: empty });
    assert.equal(e.code, 'failed');
    assert.match(e.message, /nothing to screen/);
    assert.match(e.message, /cough-heavy\.wav: the recording is empty \(0 samples\)/);
    assert.match(e.message, /breathing-deep\.wav: the recording is empty/);
  });

  test('requests are validated and errors name the field', async () => {
    let e = await api.fail('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: { cough: 'relative/cough.wav' } });
    assert.equal(e.code, 'invalid_request');
    assert.equal(e.field, 'recordings.cough');
    assert.match(e.message, /absolute path/);
    e = await api.fail('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: { sneeze: full.cough } });
    assert.match(e.message, /field 'recordings\.sneeze': model 'fixture-screening-audio' has no modality 'sneeze' \(it takes cough, speech, breathing\)/);
    e = await api.fail('screen.classifyFiles', { modelId: 'no-such-model', recordings: full });
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /field 'modelId'/);
    e = await api.fail('screen.classifyTakes', { modelId: AUDIO_FIXTURE_ID, takes: { cough: '../../etc/passwd' } });
    assert.equal(e.field, 'takes.cough');
    e = await api.fail('screen.uploadRecording', { modality: 'cough', fileName: 'x.wav', base64: 'not base64!' });
    assert.equal(e.field, 'base64');
    e = await api.fail('screen.uploadRecording', { modality: 'cough', fileName: 'x.wav', base64: 'A'.repeat(28_000_000) });
    assert.equal(e.field, 'base64');
    assert.match(e.message, /at most 20 MB/);
    e = await api.fail('screen.uploadRecording', { modality: 'cough', fileName: 'x.wav', base64: '', extra: 1 });
    assert.equal(e.code, 'invalid_request');
    e = await api.fail('screen.exportSession', { screeningId: '00000000-0000-4000-8000-000000000000', folder: '/tmp' });
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /field 'screeningId'/);
  });

  test('uploaded takes: quality, waveform, replay bytes, then screening with an empty take named by its file', async () => {
    const cough = await api.call('screen.uploadRecording', { modality: 'cough', fileName: 'cough-heavy.wav', base64: b64(full.cough) });
    assert.ok(cough.durationSeconds > 1, `duration ${cough.durationSeconds}`);
    assert.equal(cough.waveform.length, 400);
    assert.ok(cough.waveform.every(([lo, hi]) => lo <= hi && lo >= -1 && hi <= 1));
    assert.ok(cough.quality.measures.peakDbfs > -30);
    assert.equal(cough.problem, undefined);
    const audio = await api.call('screen.takeAudio', { takeId: cough.takeId });
    assert.equal(audio.base64, b64(full.cough), 'replay gives back the bytes loaded');
    // Patient audio is stored in the app's data folder only.
    assert.ok(existsSync(join(api.dataDir, 'screening', 'takes', `${cough.takeId}.wav`)));

    const emptyTake = await api.call('screen.uploadRecording', { modality: 'cough', fileName: 'cough-heavy.wav', base64: b64(empty.cough) });
    assert.equal(emptyTake.problem, 'cough-heavy.wav: the recording is empty (0 samples)');
    assert.equal(emptyTake.quality.ok, false);
    assert.match(emptyTake.quality.issues[0]!.message, /empty \(0 samples\) — load another recording or record again/);
    assert.deepEqual(emptyTake.waveform, []);

    const speech = await api.call('screen.uploadRecording', { modality: 'speech', fileName: 'counting-normal.wav', base64: b64(full.speech) });
    const breathing = await api.call('screen.uploadRecording', { modality: 'breathing', fileName: 'breathing-deep.wav', base64: b64(full.breathing) });
    const r = await api.call('screen.classifyTakes', { modelId: AUDIO_FIXTURE_ID, takes: { cough: emptyTake.takeId, speech: speech.takeId, breathing: breathing.takeId } });
    assertValidResult(r);
    assert.deepEqual(r.missing, [{ modality: 'cough', reason: 'cough-heavy.wav: the recording is empty (0 samples)' }]);
    assert.deepEqual(r.modalities.find((m) => m.name === 'speech'), { name: 'speech', used: true, source: 'counting-normal.wav', takeId: speech.takeId });
    assert.equal(r.modalities.find((m) => m.name === 'cough')!.takeId, emptyTake.takeId, 'an unusable take is still named, so a later import can report it');

    const full3 = await api.call('screen.classifyTakes', { modelId: AUDIO_FIXTURE_ID, takes: { cough: cough.takeId, speech: speech.takeId, breathing: breathing.takeId } });
    const direct = await api.call('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: full });
    assert.deepEqual(full3.probabilities, direct.probabilities, 'a loaded take screens exactly like the file it came from');

    const e = await api.fail('screen.classifyTakes', { modelId: AUDIO_FIXTURE_ID, takes: { speech: cough.takeId } });
    assert.match(e.message, /field 'takes\.speech': take .* is a cough recording, not speech/);
  });

  test('a session exports as printable HTML, JSON and CSV into the named folder', async () => {
    const r = await api.call('screen.classifyFiles', { modelId: AUDIO_FIXTURE_ID, recordings: { ...full, breathing: empty.breathing }, subjectCode: 'CLINIC-7' });
    const folder = join(await mkdtemp(join(tmpdir(), 'tinym2-export-')), 'reports');
    const { files } = await api.call('screen.exportSession', { screeningId: r.screeningId, folder });
    assert.deepEqual(readdirSync(folder).sort(), files.map((f) => f.slice(folder.length + 1)).sort());
    const html = readFileSync(files.find((f) => f.endsWith('.html'))!, 'utf8');
    assert.match(html, /CLINIC-7/);
    assert.match(html, /This is a screening aid, not a diagnosis/);
    assert.match(html, /breathing-deep\.wav: the recording is empty/);
    assert.deepEqual(JSON.parse(readFileSync(files.find((f) => f.endsWith('.json'))!, 'utf8')), r);
    const csv = readFileSync(files.find((f) => f.endsWith('.csv'))!, 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'screening_id,subject_code,created_at,model_id,model_version,result_label,kind,name,value,note');
    assert.equal(csv.length, 1 + 2 + 2 + 1, 'two probabilities, two contributions, one missing modality');
    const bad = await api.fail('screen.exportSession', { screeningId: r.screeningId, folder: '/proc/version/x' });
    assert.match(bad.message, /field 'folder': cannot write the report into \/proc\/version\/x/);
  });
});

const BUNDLED = join(repoRoot, 'resources', 'models', 'coswara-gender-audio');
const SAMPLES = join(repoRoot, 'resources', 'samples');
const bundledSkip = exists(join(BUNDLED, 'model.json')) && exists(join(SAMPLES, 'samples.json')) ? false : 'the bundled default model or the sample recordings are not in resources/ yet';

test('the bundled default model screens the bundled sample recordings through the API', { skip: bundledSkip }, async () => {
  const api = await screeningApi([BUNDLED]);
  const samples = JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')) as { samples: { participant: string; labels: Record<string, string>; recordings: Record<string, string> }[] };
  for (const s of samples.samples) {
    const recordings = Object.fromEntries(Object.entries(s.recordings).map(([m, f]) => [m, join(SAMPLES, f)]));
    const r = await api.call('screen.classifyFiles', { modelId: 'coswara-gender-audio', recordings });
    const sum = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6);
    assert.ok(r.labels.includes(r.label) && r.confidence >= 0.5);
    assert.deepEqual(r.missing, []);
    console.log(`${s.participant} (${s.labels.g ?? '?'}): ${r.label} ${(r.confidence * 100).toFixed(1)} %, contributions ${JSON.stringify(r.contributions)}`);
  }
});
