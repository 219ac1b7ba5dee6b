import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findExecutable } from '../../src-main/audio/captureBackend';
import { repoRoot } from '../../src-main/storage/appPaths';
import type { DatasetInspection } from '../../src-main/datasets/datasetInspection';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

function tinym2(args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('dataset inspect is listed in --help and refuses bad arguments by name', () => {
  assert.match(tinym2(['--help']).stdout, /^\s+dataset inspect <dir> \[--label <column>\] \[--json\]\s+Participants, label balance/m);
  const none = tinym2(['dataset', 'inspect']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /which data set\?/);
  const missing = tinym2(['dataset', 'inspect', '/no/such/folder']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /\/no\/such\/folder: no such file or folder/);
});

test('a hand-made <label>/<subject>/<modality>.wav folder: stats, broken and silent recordings in text', { skip: coswaraSkip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'tinym2-inspect-'));
  const take = async (label: string, subject: string, modality: string, source: string) => {
    await mkdir(join(root, label, subject), { recursive: true });
    await copyFile(join(COSWARA_DIR, source), join(root, label, subject, `${modality}.wav`));
  };
  await take('healthy', 'p1', 'cough', '0zexHIcM7tQDdnFiEj2Eb0v3g212/cough-heavy.wav'); // 16 kHz, 6.1 s
  await take('healthy', 'p1', 'speech', '0zexHIcM7tQDdnFiEj2Eb0v3g212/counting-normal.wav');
  await take('healthy', 'p2', 'cough', 'jRjAYMmAQee5uVm5fU8yVnpuvs33/cough-heavy.wav'); // 44.1 kHz
  await take('healthy', 'p2', 'speech', '2XgDqzQkqLX9SbmSHfbqdRxSmRD2/counting-normal.wav'); // silent
  await take('sick', 'p3', 'cough', 'kIHldMnyvmXvpLq0LjWr7ecclSj2/cough-heavy.wav'); // clipped
  const good = await readFile(join(COSWARA_DIR, '0zexHIcM7tQDdnFiEj2Eb0v3g212/counting-normal.wav'));
  await writeFile(join(root, 'sick', 'p3', 'speech.wav'), good.subarray(0, 1000)); // cut off in transfer

  const r = tinym2(['dataset', 'inspect', root]);
  // On a terminal (util-linux `script` gives the command a pseudo-terminal) a progress bar is drawn on stderr.
  if (findExecutable('script')) {
    const command = [process.execPath, join(repoRoot, 'bin', 'tinym2.mjs'), 'dataset', 'inspect', root].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qefc', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\rImporting \[#+\.*\]\s+\d+% \d\/6/);
    assert.match(tty.stdout, /Importing \[#{28}\] 100% 6 recordings/);
    assert.match(tty.stdout, /Participants: 3/);
  }
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no progress bar when not on a terminal');
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('Participants: 3'));
  assert.ok(lines.includes('Labels (label): healthy 2, sick 1'));
  assert.ok(lines.includes('Modalities: cough, speech'));
  assert.match(r.stdout, /^\s+cough\s+3\s+3\s+0\s+4\.2 \/ 6\.1 \/ 9\.0\s+19\s+16 kHz ×2, 44\.1 kHz ×1$/m);
  assert.match(r.stdout, /^\s+speech\s+3\s+2\s+1\s+9\.6 \/ 11\.6 \/ 13\.6\s+23\s+16 kHz ×2$/m);
  assert.match(r.stdout, /Problems: 1 recording could not be imported, 2 quality warnings, 0 structure problems/);
  assert.match(r.stdout, /^\s+p3 \/ speech: truncated — .*speech\.wav: the data chunk declares \d+ bytes but only \d+ are present$/m);
  assert.match(r.stdout, /^\s+p2 \/ speech: silent \(loud part -96\.0 dBFS, 9\.6 s\)$/m);
  assert.match(r.stdout, /^\s+p3 \/ cough: clipped \(0\.76 % of samples at full scale\)$/m);
});

test('the real Coswara batch by gender, as JSON: counts, native rates and the six empty recordings', { skip: coswaraSkip, timeout: 60_000 }, () => {
  const r = tinym2(['dataset', 'inspect', COSWARA_DIR, '--label', 'g', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as DatasetInspection;
  assert.equal(report.layout, 'coswara');
  assert.equal(report.participants, 76);
  assert.equal(report.labelColumn, 'g');
  assert.deepEqual(report.labelCounts, { male: 59, female: 17 });
  assert.deepEqual(report.modalities.map((m) => [m.modality, m.files, m.imported, m.failed]), [
    ['cough', 76, 74, 2],
    ['speech', 76, 74, 2],
    ['breathing', 76, 74, 2],
  ]);
  for (const m of report.modalities) {
    // 10 participants kept their phone's native rate; the rest were resampled to 16 kHz.
    assert.equal(m.sampleRates['16000'], 64);
    assert.equal((m.sampleRates['44100'] ?? 0) + (m.sampleRates['48000'] ?? 0), 10);
    assert.ok(m.duration!.min > 0 && m.duration!.min <= m.duration!.median && m.duration!.median <= m.duration!.max);
  }
  assert.ok(Math.abs(report.modalities[0]!.duration!.median - 5.8) < 0.2, JSON.stringify(report.modalities[0]!.duration));
  assert.deepEqual(report.importFailures.map((f) => `${f.subject}/${f.modality}/${f.reason}`).sort(), [
    '9XKj7fAmvwPUas9GFPZuTpev7T03/breathing/empty',
    '9XKj7fAmvwPUas9GFPZuTpev7T03/cough/empty',
    '9XKj7fAmvwPUas9GFPZuTpev7T03/speech/empty',
    'TRK6gUseEUS7dbF0soG80W1uLm53/breathing/empty',
    'TRK6gUseEUS7dbF0soG80W1uLm53/cough/empty',
    'TRK6gUseEUS7dbF0soG80W1uLm53/speech/empty',
  ]);
  const finding = (subject: string, modality: string) => report.qualityFindings.filter((q) => q.subject === subject && q.modality === modality).map((q) => q.code);
  assert.deepEqual(finding('kIHldMnyvmXvpLq0LjWr7ecclSj2', 'cough'), ['clipped']);
  assert.deepEqual(finding('iq8oYXczSjPuJoVS7DBpkGNMC2p1', 'cough'), ['noisy']);
  assert.deepEqual(finding('2XgDqzQkqLX9SbmSHfbqdRxSmRD2', 'speech'), ['silent']);
  assert.deepEqual(finding('0zexHIcM7tQDdnFiEj2Eb0v3g212', 'speech'), []);
  assert.ok(report.structureProblems.every((p) => /metadata\.json but .* in the batch CSV/.test(p.message)), JSON.stringify(report.structureProblems));
});
