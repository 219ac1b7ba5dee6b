/**
 * Golden vectors for the C runtime: the TypeScript reference (runGraph, the spec) runs random single-op
 * graphs of every kind and random two-branch graphs, and the cases go to one binary file that
 * firmware/test/golden_test.c replays and compares bit for bit (format in that file's header comment).
 * Run directly (`node --import tsx test/firmware/goldenVectors.ts OUT.bin`) to write a vectors file.
 */
import { writeFileSync } from 'node:fs';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { runGraph } from '../../src-main/kernels/runGraph';
import { writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { randomInputs, randomSingleOpGraph, seededRandom, type OpKind } from '../kernels/randomGraphs';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { sequentialArenaPlan } from '../fixtures/sequentialArenaPlan';

export interface GoldenCase {
  readonly name: string;
  readonly blob: Uint8Array;
  /** Input sets back to back. */
  readonly inputs: Uint8Array;
  /** Expected outputs of every set back to back. */
  readonly outputs: Uint8Array;
}

const KINDS: readonly OpKind[] = ['conv2d', 'dense', 'maxPool', 'avgPool', 'globalAvgPool', 'concat', 'add', 'reshape', 'softmax'];

const concatBytes = (parts: readonly Int8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.length), at);
    at += p.length;
  }
  return out;
};

export function goldenCase(name: string, graph: Int8Graph, inputSets: readonly Int8Array[][]): GoldenCase {
  const blob = writeFirmwareBlob(graph, sequentialArenaPlan(graph), { modelId: name, modelVersion: 'golden' });
  const outputs = inputSets.map((inputs) => concatBytes(runGraph(graph, inputs).outputs));
  return { name, blob, inputs: concatBytes(inputSets.flat()), outputs: concatBytes(outputs.map((o) => new Int8Array(o.buffer, o.byteOffset, o.length))) };
}

/** A two-branch graph whose outputs are every op's output, so the C runtime is compared layer by layer. */
export function probedTwoBranchGraph(seed: number): Int8Graph {
  const graph = randomTwoBranchGraph(seed);
  return { ...graph, outputs: graph.ops.map((op) => op.output) };
}

export function goldenCases(perKind = 24, graphSeeds: readonly number[] = [1, 2, 3, 4], setsPerGraph = 6): GoldenCase[] {
  const cases: GoldenCase[] = [];
  const r = seededRandom(20261125);
  for (const kind of KINDS) {
    for (let i = 0; i < perKind; i++) {
      // Alternate the options the generator offers so fused ReLUs and requantizing pools/concats both appear.
      const options = { relu: i % 2 === 0, sameQuant: i % 3 !== 0 };
      const graph = randomSingleOpGraph(kind, r, options);
      cases.push(goldenCase(`${kind}-${i}`, graph, [randomInputs(graph, r), randomInputs(graph, r), randomInputs(graph, r)]));
    }
  }
  for (const seed of graphSeeds) {
    const graph = probedTwoBranchGraph(seed);
    cases.push(goldenCase(`two-branch-${seed}`, graph, Array.from({ length: setsPerGraph }, (_, k) => randomInt8Inputs(graph, seed * 100 + k))));
  }
  return cases;
}

export function encodeGoldenVectors(cases: readonly GoldenCase[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
  };
  const field = (data: Uint8Array) => {
    parts.push(u32(data.length), data, new Uint8Array((4 - (data.length % 4)) % 4));
  };
  parts.push(new TextEncoder().encode('TM2V'), u32(cases.length));
  for (const c of cases) {
    field(c.blob);
    field(c.inputs);
    field(c.outputs);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes the vectors file; returns how many output values it holds (what golden_test must report). */
export function writeGoldenVectors(file: string, cases: readonly GoldenCase[] = goldenCases()): { cases: number; values: number } {
  writeFileSync(file, encodeGoldenVectors(cases));
  return { cases: cases.length, values: cases.reduce((n, c) => n + c.outputs.length, 0) };
}

if (process.argv[1] && import.meta.filename === process.argv[1] && process.argv[2]) {
  const { cases, values } = writeGoldenVectors(process.argv[2]);
  console.log(`wrote ${cases} cases, ${values} expected values to ${process.argv[2]}`);
}
