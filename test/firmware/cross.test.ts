import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { runGraph } from '../../src-main/kernels/runGraph';
import { planMemory } from '../../src-main/planner/planMemory';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { buildFirmware, firmwareDir, missingCrossTools, tempDir, toolCommand } from './buildFirmware';
import { goldenCases, writeGoldenVectors } from './goldenVectors';

const work = tempDir('tm2-cross-');
const goldenFile = path.join(work, 'golden.bin');
// Fewer single-op cases than the host test: QEMU is slower, and the two-branch graphs cover every op again.
const golden = writeGoldenVectors(goldenFile, goldenCases(8, [1, 2, 3, 4], 4));

for (const target of ['rv32', 'aarch64'] as const) {
  const missing = missingCrossTools(target);
  test(`${target} build under qemu: golden vectors and tm2_run bit-exact with the reference`, { skip: missing }, () => {
    const build = buildFirmware(target);
    const [cmd, args] = toolCommand(build, target, 'golden_test');
    const r = spawnSync(cmd, [...args, goldenFile], { encoding: 'utf8', timeout: 120_000 });
    console.log(`${target}: ${r.stdout.trim()}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`golden: ${golden.cases} cases, ${golden.values} values compared, 0 mismatches`));

    // tm2_run (the device simulator's entry point) with the real planner's arena layout.
    const graph = randomTwoBranchGraph(11);
    const blobFile = path.join(work, `${target}.blob`);
    writeFileSync(blobFile, writeFirmwareBlob(graph, planMemory(graph), { modelId: 'cross', modelVersion: '1' }));
    const sets = Array.from({ length: 5 }, (_, k) => randomInt8Inputs(graph, 500 + k));
    writeFileSync(path.join(work, 'in.bin'), Buffer.concat(sets.flat().map((a) => Buffer.from(a.buffer, a.byteOffset, a.length))));
    const [runCmd, runArgs] = toolCommand(build, target, 'tm2_run');
    execFileSync(runCmd, [...runArgs, blobFile, path.join(work, 'in.bin'), path.join(work, 'out.bin')]);
    const out = readFileSync(path.join(work, 'out.bin'));
    const expected = Buffer.concat(sets.map((inputs) => Buffer.from(runGraph(graph, inputs).outputs[0]!)));
    assert.deepEqual(out, expected);
  });
}

test('rv32imc runtime: no floating point, text within the 16 KB budget', { skip: missingCrossTools('rv32') }, () => {
  const build = buildFirmware('rv32');
  const objects = readdirSync(path.join(build, 'rv32', 'runtime')).filter((f) => f.endsWith('.o')).map((f) => path.join(build, 'rv32', 'runtime', f));
  const sizes = execFileSync('riscv64-unknown-elf-size', ['-t', ...objects], { encoding: 'utf8' });
  const totals = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\w+\s+\(TOTALS\)/m.exec(sizes);
  assert.ok(totals, sizes);
  const [text, data, bss] = [Number(totals[1]), Number(totals[2]), Number(totals[3])];
  console.log(`rv32imc runtime (-Os, without libc/libgcc): text ${text} B, data ${data} B, bss ${bss} B`);
  assert.ok(text <= 16 * 1024, `runtime text ${text} B exceeds 16 KB`);
  assert.equal(data + bss, 0, 'the runtime keeps no state of its own');
  // Soft-float helpers would be called for any float or double arithmetic on rv32imc.
  const undefinedSymbols = execFileSync('riscv64-unknown-elf-nm', ['-u', ...objects], { encoding: 'utf8' });
  const float = undefinedSymbols.split('\n').filter((l) => /__(add|sub|mul|div|fix|float|extend|trunc|cmp|eq|ne|lt|le|gt|ge)[sd]f/.test(l));
  assert.deepEqual(float, [], 'no soft-float calls');
  assert.doesNotMatch(undefinedSymbols, /\bmalloc\b|\bfree\b|\bprintf\b/, 'no allocation or stdio in the runtime');
  // The board-independent GAP8 main loop keeps compiling against the runtime API (its PMSIS HAL needs the GAP SDK).
  execFileSync('riscv64-unknown-elf-gcc', ['-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs', '-std=c99', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', path.join(firmwareDir, 'gap8', 'main.c')]);
});
