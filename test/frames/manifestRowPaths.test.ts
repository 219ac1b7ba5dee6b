/**
 * A frame set's manifest.csv written by `find .` (`./raw/a_depth.png`), by hand (`raw//a_depth.png`) or on
 * Windows (`raw\a_depth.png`): the rows name frames inside the set and load. Tidying them never lets
 * through a row that could leave the set: `..`, absolute paths, drive letters and UNC paths stay refused.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeDepthPng } from '../../src-main/frames/depthFrame';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import { encodeThermalPng } from '../../src-main/frames/thermalFrame';

const depthPng = encodeDepthPng({ width: 8, height: 6, mm: new Uint16Array(48).fill(2000) });
const thermalPng = encodeThermalPng({ width: 4, height: 3, celsius: new Float32Array(12).fill(33) });

const tmp = mkdtempSync(join(tmpdir(), 'tinym2-frame-rows-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function put(file: string, bytes: Uint8Array): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
}

test('frame manifest: ./, a//b and a\\b rows load; .., absolute, drive and UNC rows are refused by row', async () => {
  const root = mkdtempSync(join(tmp, 'set-'));
  for (const f of ['a', 'b', 'c', 'd']) {
    put(join(root, 'raw', 'p1', `${f}_depth.png`), depthPng);
    put(join(root, 'raw', 'p1', `${f}_thermal.png`), thermalPng);
  }
  // Beside the set: what the refused rows aim at, valid frames a loader that reached them would load.
  put(join(tmp, 'x_depth.png'), depthPng);
  put(join(tmp, 'x_thermal.png'), thermalPng);
  const good: readonly (readonly [string, string])[] = [
    ['./raw/p1/a_depth.png', './raw/p1/a_thermal.png'],
    ['raw//p1/b_depth.png', 'raw/p1//b_thermal.png'],
    ['raw\\p1\\c_depth.png', 'raw\\p1\\c_thermal.png'],
    ['.\\raw\\p1\\.\\d_depth.png', 'raw/./p1/d_thermal.png'],
  ];
  const bad: readonly (readonly [string, RegExp])[] = [
    ['..\\x_depth.png', /climbs out of its folder/],
    ['C:\\x_depth.png', /backslash|absolute path/],
    ['\\\\server\\x_depth.png', /backslash/],
    [join(tmp, 'x_depth.png'), /absolute path/],
    ['/abs_depth.png', /absolute path/],
    ['raw/../../x_depth.png', /climbs out of its folder/],
  ];
  const rows = [
    ...good.map(([depth, thermal], i) => `S${i},standing,${i},${depth},${thermal}`),
    ...bad.map(([depth], i) => `B${i},sitting,${i},${depth},raw/p1/a_thermal.png`),
    // The thermal column is tidied and checked the same way.
    'T0,sitting,t,raw/p1/a_depth.png,..\\x_thermal.png',
  ];
  const manifest = join(root, 'manifest.csv');
  writeFileSync(manifest, `subject,label,frame,depth,thermal\r\n${rows.join('\r\n')}\r\n`);

  const { samples, report } = await importLabelledSet(root);
  assert.equal(report.layout, 'csv');
  assert.deepEqual(
    samples.map((s) => [s.subject, s.depthFile, s.thermalFile]),
    ['a', 'b', 'c', 'd'].map((f, i) => [`S${i}`, join(root, 'raw', 'p1', `${f}_depth.png`), join(root, 'raw', 'p1', `${f}_thermal.png`)]),
  );
  const byFile = new Map(report.problems.map((p) => [p.file, p]));
  assert.equal(report.problems.length, bad.length + 1, report.problems.map((p) => p.message).join('\n'));
  bad.forEach(([depth, why], i) => {
    const line = good.length + i + 2;
    const p = byFile.get(`${manifest}:${line}`);
    assert.ok(p, `row ${line} (${depth}) was not refused`);
    assert.equal(p.reason, 'refused');
    // The refusal quotes the row as written, not as tidied.
    assert.ok(p.message.startsWith(`${manifest}:${line}: the depth path ${JSON.stringify(depth)} `), p.message);
    assert.match(p.message, why);
  });
  const thermalRow = byFile.get(`${manifest}:${good.length + bad.length + 2}`);
  assert.match(thermalRow?.message ?? '', /the thermal path "\.\.\\\\x_thermal\.png" climbs out of its folder/);
});
