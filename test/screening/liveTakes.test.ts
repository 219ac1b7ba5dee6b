import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApiEventPayload } from '../../src-main/api/contract';
import { EventBus } from '../../src-main/api/eventBus';
import { runningRecorders } from '../../src-main/audio/capture';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
import { startVirtualMicrophone, virtualMicrophoneSkip, type VirtualMicrophone } from '../audio/virtualMicrophone';
import { AUDIO_FIXTURE_ID, audioFixturePackage } from './audioPackageFixture';
import { screeningApi } from './screeningApi';

const COUGH = join(COSWARA_DIR, 'Eoyf44CUffgVCPPjJJkopEyAO7k2', 'cough-heavy.wav');

test('without a recorder, capture says so and how to install one', async () => {
  const api = await screeningApi([], { captureEnv: { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'tinym2-nopath-')) } });
  const status = await api.call('capture.status', {});
  assert.equal(status.available, false);
  assert.match(status.reason ?? '', /apt-get install sox/);
  const e = await api.fail('capture.start', { modality: 'cough', durationSeconds: 3 });
  assert.match(e.message, /No audio recorder is installed/);
  assert.equal((await api.fail('capture.start', { modality: 'cough', durationSeconds: 600 })).field, 'durationSeconds');
  assert.equal((await api.fail('capture.result', { takeId: '0f0e0d0c-0b0a-4909-8807-060504030201' })).code, 'not_found');
});

describe('capture through the API from a PulseAudio virtual microphone', { skip: virtualMicrophoneSkip || coswaraSkip }, () => {
  let mic: VirtualMicrophone;
  before(async () => {
    mic = await startVirtualMicrophone();
  });
  after(async () => {
    await mic?.close();
  });

  test('start → live levels → result stored as a take → screened like a loaded file; stop ends a take early', { timeout: 45_000 }, async () => {
    const events = new EventBus();
    const levels: ApiEventPayload<'audio.level'>[] = [];
    let heard!: () => void;
    const live = new Promise<void>((r) => (heard = r));
    events.subscribe((event, payload) => {
      if (event !== 'audio.level') return;
      levels.push(payload as ApiEventPayload<'audio.level'>);
      heard();
    });
    const api = await screeningApi([await audioFixturePackage()], { events, captureEnv: mic.env });
    assert.deepEqual(await api.call('capture.status', {}), { available: true, recorder: 'sox' });

    const { takeId, expectedSeconds } = await api.call('capture.start', { modality: 'cough', durationSeconds: 9 });
    assert.equal(expectedSeconds, 9);
    const busy = await api.fail('capture.start', { modality: 'speech', durationSeconds: 3 });
    assert.match(busy.message, /a cough take is still recording/);
    await live;
    await mic.play(COUGH);
    const report = await api.call('capture.result', { takeId });
    assert.equal(runningRecorders(), 0);
    assert.equal(report.takeId, takeId);
    assert.equal(report.source, 'microphone');
    assert.equal(report.durationSeconds, 9);
    assert.equal(report.waveform.length, 400);
    assert.equal(report.quality.ok, true, JSON.stringify(report.quality));
    assert.ok(levels.length >= 170 && levels.every((l) => l.takeId === takeId), `${levels.length} level events`);
    assert.ok(Math.max(...levels.map((l) => l.rmsDbfs)) > -40, 'the played cough shows on the meter');
    // The take is replayable and screens like any other.
    assert.ok((await api.call('screen.takeAudio', { takeId })).base64.length > 9 * 16000 * 2);
    const r = await api.call('screen.classifyTakes', { modelId: AUDIO_FIXTURE_ID, takes: { cough: takeId } });
    assert.equal(r.modalities[0]!.used, true);
    assert.equal(r.modalities[0]!.source, 'microphone');
    assert.deepEqual(r.missing.map((m) => m.modality), ['speech', 'breathing']);

    const second = await api.call('capture.start', { modality: 'speech', durationSeconds: 12 });
    // The PulseAudio ALSA plugin can take ~2 s to deliver the first audio; stop once a second of it is in.
    const t0 = Date.now();
    while (!levels.some((l) => l.takeId === second.takeId && l.t >= 1) && Date.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await api.call('capture.stop', { takeId: second.takeId }), { stopped: true });
    const short = await api.call('capture.result', { takeId: second.takeId });
    assert.equal(short.source, 'microphone (stopped early)');
    assert.ok(short.durationSeconds < 12);
    assert.ok(short.quality.issues.some((i) => i.code === 'tooShort'), JSON.stringify(short.quality.issues));
    assert.deepEqual(await api.call('capture.stop', { takeId: second.takeId }), { stopped: false });
  });
});
