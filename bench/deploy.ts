/**
 * `npm run bench:deploy` → bench/results/deploy.json, `{ pi: {...}, gapuino?: {...} }`.
 * Pi part: a real tinym2-agent process on 127.0.0.1 (loopback stands in for the clinic network); the
 * time to deploy each bundled model (sign, upload, agent-side checks and activation, golden-input
 * verification) and the agent's inference latency percentiles over many requests. When the default
 * audio model is not built yet, a seeded synthetic int8 package of the same format is measured instead
 * and marked so. The GAPuino/UART part is measured by bench/deployGapuino.ts, run at the end.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { goldenInputs } from '../src-main/devices/pi/goldenInput';
import { deployToPi, inferOnPi, pairPi, pairedTarget, type DeployReport } from '../src-main/devices/pi/piClient';
import { loadPackage } from '../src-main/models/catalog';
import { repoRoot } from '../src-main/storage/appPaths';
import { startAgentProcess, writeTestPackage } from '../test/devices/pi/piFixture';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 500);
const DEPLOY_REPEATS = arg('repeats', 5);

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
function summary(values: readonly number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r3(percentile(s, 50)), p90: r3(percentile(s, 90)), p99: r3(percentile(s, 99)), mean: r3(s.reduce((a, b) => a + b, 0) / s.length), n: s.length };
}
const dirBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

const work = mkdtempSync(join(tmpdir(), 'tm2-bench-deploy-'));
const candidates = [
  { dir: join(repoRoot, 'resources', 'models', 'coswara-gender-audio'), role: 'default audio model' },
  { dir: join(repoRoot, 'resources', 'models', 'pose-depth-thermal'), role: 'pose model' },
];
const models: { dir: string; role: string; synthetic: boolean }[] = [];
for (const c of candidates) {
  if (!existsSync(join(c.dir, 'model.json'))) {
    console.log(`${c.dir}: not built yet, skipped`);
    continue;
  }
  const loaded = await loadPackage(c.dir);
  if ('reason' in loaded) throw new Error(`${loaded.path}: ${loaded.reason}`);
  models.push({ ...c, synthetic: false });
}
if (!models.some((m) => m.role === 'default audio model')) {
  const dir = join(work, 'synthetic-audio');
  writeTestPackage(dir, 101, '1.0.0', 'synthetic-two-branch');
  models.unshift({ dir, role: 'synthetic stand-in for the default audio model (not built yet)', synthetic: true });
}
// Deployed between timed runs so every timed deploy really activates (the same package twice is a no-op).
const filler = join(work, 'filler');
writeTestPackage(filler, 102, '0.0.1', 'bench-filler');

const studioData = join(work, 'studio');
const t0 = performance.now();
const agent = await startAgentProcess(join(work, 'agent'));
const agentStartSeconds = (performance.now() - t0) / 1000;
try {
  const address = { host: '127.0.0.1', port: agent.port };
  await pairPi(studioData, address, agent.code()!);
  const target = pairedTarget(studioData, address);
  const results = [];
  for (const m of models) {
    const meta = await loadPackage(m.dir);
    if ('reason' in meta) throw new Error(meta.reason);
    const runs: DeployReport[] = [];
    for (let r = 0; r < DEPLOY_REPEATS; r++) {
      await deployToPi(studioData, target, filler);
      runs.push(await deployToPi(studioData, target, m.dir));
    }
    const modalities = meta.modalities.map((x) => x.name);
    const device: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const inputs = goldenInputs(meta, i + 1);
      const s = performance.now();
      const res = await inferOnPi(target, modalities, inputs);
      roundTrip.push(performance.now() - s);
      device.push(res.latencyMs);
    }
    const med = (k: 'sign' | 'upload' | 'verify' | 'total') => summary(runs.map((x) => x.seconds[k])).p50;
    const entry = {
      id: meta.id,
      version: meta.version,
      role: m.role,
      synthetic: m.synthetic,
      modalities: meta.modalities.map((x) => ({ name: x.name, inputShape: x.inputShape })),
      packageBytes: dirBytes(m.dir),
      uploadBytes: runs[0]!.uploadBytes,
      deploySecondsMedian: { sign: med('sign'), upload: med('upload'), verify: med('verify'), total: med('total') },
      deploySecondsAll: runs.map((x) => Math.round(x.seconds.total * 1000) / 1000),
      verified: runs.every((x) => x.verified),
      inference: { requests: REQUESTS, deviceLatencyMs: summary(device), roundTripMs: summary(roundTrip) },
    };
    console.log(`${entry.id} ${entry.version}: deploy ${entry.deploySecondsMedian.total.toFixed(3)} s (median of ${runs.length}), device p50/p90/p99 ${entry.inference.deviceLatencyMs.p50}/${entry.inference.deviceLatencyMs.p90}/${entry.inference.deviceLatencyMs.p99} ms, round trip p50 ${entry.inference.roundTripMs.p50} ms`);
    results.push(entry);
  }
  const pi = {
    benchmark: 'deploy to Raspberry Pi agent',
    measuredAt: new Date().toISOString(),
    transport: 'HTTPS (TLS, pinned self-signed certificate) on 127.0.0.1: the agent runs on this machine, not on a Pi',
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, arch: process.arch, node: process.version },
    agentStartSeconds: Math.round(agentStartSeconds * 1000) / 1000,
    notes: 'deploy = sign + streamed upload + agent checks (signature, hashes, onnxruntime load, test inference) + atomic activation + golden-input verification; round trip includes a new TLS connection per request',
    models: results,
  };
  const path = join(repoRoot, 'bench', 'results', 'deploy.json');
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileAtomic(path, `${JSON.stringify({ ...existing, pi }, null, 2)}\n`);
  console.log(`wrote ${path}`);
} finally {
  await agent.stop();
  rmSync(work, { recursive: true, force: true });
}

// The GAPuino part (simulated UART at two baud rates) writes its own key of the same file.
await import('./deployGapuino');
