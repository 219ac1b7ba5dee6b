import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GreedyArena } from '../../src-main/planner/greedyArena';
import { seededRandom } from '../../src-main/train/random';

test('an empty arena has no peak', () => {
  assert.equal(new GreedyArena().peakBytes(), 0);
});

test('a chain reuses the bytes of buffers that are dead: peak is the largest adjacent pair', () => {
  const arena = new GreedyArena(1);
  const a = arena.addBuffer(100, 0, 1);
  const b = arena.addBuffer(50, 1, 2);
  const c = arena.addBuffer(100, 2, 3);
  assert.equal(arena.peakBytes(), 150);
  assert.equal(arena.offsetOf(a), arena.offsetOf(c), 'the two 100-byte buffers never coexist');
  assert.equal(arena.offsetOf(b), 100);
});

test('small buffers fill holes between large ones (lowest offset that fits)', () => {
  const arena = new GreedyArena(1);
  arena.addBuffer(64, 0, 4); // [0, 64)
  arena.addBuffer(64, 2, 3); // conflicts with both neighbours → [64, 128)
  arena.addBuffer(64, 0, 1); // conflicts only with the first → [64, 128)
  const small = arena.addBuffer(32, 0, 4); // conflicts with all three → above them
  const hole = arena.addBuffer(16, 4, 4); // conflicts with the first and the 32 → fits at 64
  assert.equal(arena.offsetOf(small), 128);
  assert.equal(arena.offsetOf(hole), 64);
  assert.equal(arena.peakBytes(), 160);
});

test('offsets are multiples of the alignment; alignment costs padding only', () => {
  const packed = new GreedyArena(1);
  packed.addBuffer(5, 0, 1);
  const p3 = packed.addBuffer(3, 0, 1);
  assert.equal(packed.offsetOf(p3), 5);
  assert.equal(packed.peakBytes(), 8);

  const aligned = new GreedyArena(4);
  aligned.addBuffer(5, 0, 1);
  const a3 = aligned.addBuffer(3, 0, 1);
  assert.equal(aligned.offsetOf(a3), 8);
  assert.equal(aligned.peakBytes(), 11);

  const wide = new GreedyArena(16);
  const ids = [7, 9, 33, 1].map((bytes) => wide.addBuffer(bytes, 0, 0));
  for (const id of ids) assert.equal(wide.offsetOf(id) % 16, 0);
});

test('bad sizes, lifetimes and alignments are refused with the value named', () => {
  assert.throws(() => new GreedyArena(0), /alignment .* got 0/);
  assert.throws(() => new GreedyArena().addBuffer(-1, 0, 0), /got -1/);
  assert.throws(() => new GreedyArena().addBuffer(4, 3, 2), /\[3, 2\]/);
  assert.throws(() => new GreedyArena().offsetOf(0), /no buffer 0/);
});

test('random buffer sets: valid placements between the live-bytes bound and the no-reuse sum', () => {
  const rnd = seededRandom(7);
  for (let trial = 0; trial < 300; trial++) {
    const alignment = [1, 4, 16][trial % 3]!;
    const arena = new GreedyArena(alignment);
    const buffers = Array.from({ length: 1 + rnd.int(30) }, () => {
      const first = rnd.int(20);
      const b = { bytes: rnd.int(500), first, last: first + rnd.int(6) };
      arena.addBuffer(b.bytes, b.first, b.last);
      return b;
    });
    const { offsets, peakBytes } = arena.plan();
    for (let i = 0; i < buffers.length; i++) {
      assert.equal(offsets[i]! % alignment, 0);
      for (let j = i + 1; j < buffers.length; j++) {
        const [a, b] = [buffers[i]!, buffers[j]!];
        if (a.bytes === 0 || b.bytes === 0 || a.last < b.first || b.last < a.first) continue;
        assert.ok(offsets[i]! + a.bytes <= offsets[j]! || offsets[j]! + b.bytes <= offsets[i]!, `trial ${trial}: buffers ${i} and ${j} overlap`);
      }
    }
    const liveBound = Math.max(0, ...Array.from({ length: 26 }, (_, s) => buffers.filter((b) => b.first <= s && s <= b.last).reduce((t, b) => t + b.bytes, 0)));
    const alignedSum = buffers.reduce((t, b) => t + Math.ceil(b.bytes / alignment) * alignment, 0);
    assert.ok(peakBytes >= liveBound, `trial ${trial}: peak ${peakBytes} below the bound ${liveBound}`);
    assert.ok(peakBytes <= alignedSum, `trial ${trial}: peak ${peakBytes} above the no-reuse sum ${alignedSum}`);
  }
});
