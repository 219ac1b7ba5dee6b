import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src-main/dsp/resample';

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** RMS of the middle half, away from the zero-padded edges where the filter ramps up. */
function middleRms(x: Float32Array): number {
  const a = Math.floor(x.length / 4);
  const b = Math.floor((3 * x.length) / 4);
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (b - a));
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

for (const from of [48000, 44100]) {
  test(`a 1 kHz tone keeps its level within 0.1 dB from ${from} Hz to 16 kHz`, () => {
    const input = tone(1000, from, 1);
    const out = resample(input, from, 16000);
    assert.equal(out.length, 16000);
    const change = db(middleRms(out) / middleRms(input));
    assert.ok(Math.abs(change) < 0.1, `level changed by ${change.toFixed(4)} dB`);
    // And it is still a 1 kHz tone: compare with the ideal 16 kHz tone sample by sample.
    const ideal = tone(1000, 16000, 1);
    let err = 0;
    for (let i = 4000; i < 12000; i++) err = Math.max(err, Math.abs(out[i]! - ideal[i]!));
    assert.ok(err < 1e-3, `max deviation from the ideal tone ${err}`);
  });
}

test('a 9 kHz tone at 48 kHz (above the new Nyquist) is attenuated by at least 40 dB', () => {
  const input = tone(9000, 48000, 1);
  const out = resample(input, 48000, 16000);
  const attenuation = -db(middleRms(out) / middleRms(input));
  assert.ok(attenuation >= 40, `only ${attenuation.toFixed(1)} dB`);
});

test('content just inside the pass band survives 44.1 kHz → 16 kHz', () => {
  const input = tone(6000, 44100, 0.5);
  const change = db(middleRms(resample(input, 44100, 16000)) / middleRms(input));
  assert.ok(Math.abs(change) < 0.1, `6 kHz changed by ${change.toFixed(3)} dB`);
});

test('upsampling 8 kHz → 16 kHz keeps a tone and its duration', () => {
  const input = tone(440, 8000, 0.5);
  const out = resample(input, 8000, 16000);
  assert.equal(out.length, 8000);
  assert.ok(Math.abs(db(middleRms(out) / middleRms(input))) < 0.1);
});

test('same rate is a copy, bad rates are refused', () => {
  const input = tone(1000, 16000, 0.01);
  const out = resample(input, 16000, 16000);
  assert.deepEqual(out, input);
  assert.notEqual(out, input);
  assert.throws(() => resample(input, 0, 16000), RangeError);
  assert.throws(() => resample(input, 44100.5, 16000), RangeError);
});
