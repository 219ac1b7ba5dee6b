import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screeningResultSchema, type ScreeningResult } from '../../src-main/api/contract';
import { SCREENING_DISCLAIMER } from '../../src-main/screening/disclaimer';
import { sessionReportCsv, sessionReportHtml } from '../../src-main/screening/sessionReport';
import { waveformPeaks } from '../../src-main/screening/waveform';

const result: ScreeningResult = screeningResultSchema.parse({
  screeningId: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed',
  subjectCode: 'S-ABC234',
  createdAt: '2026-11-25T10:00:00.000Z',
  label: 'male',
  labels: ['female', 'male'],
  probabilities: { female: 0.25, male: 0.75 },
  confidence: 0.75,
  contributions: { speech: 0.6, breathing: 0.4 },
  modalities: [
    { name: 'cough', used: false, source: '<img src=x onerror=alert(1)>.wav', reason: '<img src=x onerror=alert(1)>.wav: the recording is empty (0 samples)' },
    { name: 'speech', used: true, source: 'count, "one".wav' },
    { name: 'breathing', used: true, source: 'breath.wav' },
    { name: 'extra', used: false, source: '=HYPERLINK("x").wav', reason: '=HYPERLINK("x").wav: the file is 0 bytes long' },
  ],
  missing: [
    { modality: 'cough', reason: '<img src=x onerror=alert(1)>.wav: the recording is empty (0 samples)' },
    { modality: 'extra', reason: '=HYPERLINK("x").wav: the file is 0 bytes long' },
  ],
  model: { id: 'm', name: 'Model & co', version: '1.0.0' },
  disclaimer: SCREENING_DISCLAIMER,
  latencyMs: 3,
});

test('the HTML report escapes every value it prints and carries the disclaimer', () => {
  const html = sessionReportHtml(result);
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;\.wav: the recording is empty/);
  assert.match(html, /Model &amp; co version 1\.0\.0/);
  assert.match(html, /Result: male <span class="meta">\(confidence 75\.0 %\)/);
  assert.match(html, /This is a screening aid, not a diagnosis\./);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('the CSV has one row per probability, contribution and missing modality, quoted where needed', () => {
  const rows = sessionReportCsv(result).split('\r\n');
  assert.equal(rows.at(-1), '');
  assert.equal(rows.length - 2, 2 + 2 + 2);
  assert.equal(rows[1], '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed,S-ABC234,2026-11-25T10:00:00.000Z,m,1.0.0,male,probability,female,0.25,');
  assert.match(rows[5]!, /,missing,cough,,<img src=x onerror=alert\(1\)>\.wav: the recording is empty \(0 samples\)$/);
  // A reason that starts like a formula is kept as text (and quoted, since it holds quotes).
  assert.match(rows[6]!, /,missing,extra,,"'=HYPERLINK\(""x""\)\.wav: the file is 0 bytes long"$/);
});

test('waveform peaks: at most the asked pairs, min ≤ max, every extreme kept', () => {
  assert.deepEqual(waveformPeaks(new Float32Array(0)), []);
  assert.deepEqual(waveformPeaks(Float32Array.from([0.5, -0.25])), [[0.5, 0.5], [-0.25, -0.25]]);
  const n = 16000 * 3;
  const s = new Float32Array(n).map((_, i) => Math.sin(i / 7) * 0.5);
  s[12345] = 0.99;
  s[40000] = -0.97;
  const peaks = waveformPeaks(s);
  assert.equal(peaks.length, 400);
  assert.ok(peaks.every(([lo, hi]) => lo <= hi));
  assert.equal(Math.max(...peaks.map((p) => p[1])), 0.99);
  assert.equal(Math.min(...peaks.map((p) => p[0])), -0.97);
});
