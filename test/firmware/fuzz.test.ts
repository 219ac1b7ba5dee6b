import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { planMemory } from '../../src-main/planner/planMemory';
import { randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { firmwareDir, tempDir } from './buildFirmware';

const seconds = Number(process.env.TM2_FUZZ_SECONDS ?? 20);
const regressions = path.join(firmwareDir, 'test', 'regressions');

function clangMissing(): string | undefined {
  try {
    execFileSync('which', ['clang'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'clang is not installed (see .ci/debian-packages.txt)';
  }
}

test(`libFuzzer + ASan + UBSan on the blob parser, interpreter and frame decoder (${seconds} s, seeded with valid blobs), and every kept regression input`, { skip: clangMissing() }, () => {
  const build = tempDir('tm2-fuzz-build-');
  const made = spawnSync('make', ['-s', '-C', firmwareDir, `BUILD=${build}`, 'fuzz'], { encoding: 'utf8' });
  assert.equal(made.status, 0, `make fuzz:\n${made.stdout}${made.stderr}`);
  const fuzzer = path.join(build, 'fuzz', 'parser_fuzz');

  const corpus = tempDir('tm2-fuzz-corpus-');
  const seeds: string[] = [];
  for (const [seed, hw] of [[1, [16, 12]], [2, [8, 8]], [3, [6, 10]], [4, [12, 4]]] as const) {
    const graph = randomTwoBranchGraph(seed, hw);
    const file = path.join(corpus, `seed-${seed}.tm2b`);
    writeFileSync(file, writeFirmwareBlob(graph, planMemory(graph), { modelId: `fuzz-${seed}`, modelVersion: '1' }));
    seeds.push(file);
  }

  // Kept crashers first: each file is run once; any crash fails here with the file named.
  const kept = readdirSync(regressions).filter((f) => f !== 'README.md').map((f) => path.join(regressions, f));
  const replay = spawnSync(fuzzer, [...kept, ...seeds], { encoding: 'utf8' });
  assert.equal(replay.status, 0, `a regression input crashes again:\n${replay.stderr.slice(-3000)}`);

  const artifacts = tempDir('tm2-fuzz-artifacts-');
  const run = spawnSync(
    fuzzer,
    [`-max_total_time=${seconds}`, '-timeout=10', '-rss_limit_mb=2048', '-max_len=65536', `-artifact_prefix=${artifacts}/`, '-print_final_stats=1', corpus],
    { encoding: 'utf8', timeout: (seconds + 60) * 1000 },
  );
  const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(run.stderr)?.[1];
  console.log(`fuzzed ${runs ?? '?'} inputs in ${seconds} s; ${kept.length} regression inputs replayed`);
  if (run.status !== 0) {
    mkdirSync(regressions, { recursive: true });
    const found = readdirSync(artifacts);
    for (const f of found) copyFileSync(path.join(artifacts, f), path.join(regressions, f));
    assert.fail(`the fuzzer found a crash; input(s) kept as ${found.map((f) => path.join('firmware/test/regressions', f)).join(', ')}:\n${run.stderr.slice(-4000)}`);
  }
  assert.ok(Number(runs) > 1000, 'the fuzzer actually ran');
});
