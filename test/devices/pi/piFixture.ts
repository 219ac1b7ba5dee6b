import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignedManifest } from '../../../src-main/devices/modelSigning';
import { signPackage } from '../../../src-main/devices/pi/deployPackage';
import { nextDeploySequence } from '../../../src-main/devices/pi/deploySequence';
import { formatPiAddress } from '../../../src-main/devices/pi/piAddress';
import { piInfo } from '../../../src-main/devices/pi/piClient';
import { PiDeviceError } from '../../../src-main/devices/pi/piDeviceError';
import type { PiTarget } from '../../../src-main/devices/pi/piConnection';
import { loadOrCreateStudioKey } from '../../../src-main/devices/pi/studioKey';
import { exportInt8GraphToOnnx } from '../../../src-main/export/onnxInt8';
import { serializeInt8Graph } from '../../../src-main/graph/int8GraphJson';
import type { ModelPackageMeta } from '../../../src-main/models/packageMeta';
import { writeModelPackage } from '../../../src-main/models/writePackage';
import { repoRoot } from '../../../src-main/storage/appPaths';
import { randomTwoBranchGraph } from '../../fixtures/randomInt8Graph';

/**
 * A small real int8 package (a seeded two-branch graph exported to ONNX): loads in onnxruntime in
 * milliseconds. `padding` makes the upload as long as a test needs: it goes in as the package's firmware
 * blob, a file model.json names (a deploy sends only those).
 */
export function writeTestPackage(dir: string, seed: number, version: string, id = 'pi-test-model', padding?: Uint8Array): ModelPackageMeta {
  const graph = randomTwoBranchGraph(seed, [16, 12]);
  const features = { kind: 'logMel', sampleRate: 16000, windowMs: 25, hopMs: 10, fftSize: 512, melBands: 12, fMin: 50, fMax: 8000, frames: 16 } as const;
  const out = graph.tensors[graph.outputs[0]!]!;
  return writeModelPackage(
    dir,
    {
      formatVersion: 1,
      id,
      name: 'Pi deploy test model',
      version,
      createdAt: '2026-11-25T00:00:00Z',
      task: { kind: 'audio', description: 'deploy test', labels: ['a', 'b', 'c'] },
      modalities: graph.modalities.map((name) => ({ name, kind: 'audio' as const, inputShape: [16, 12, 1], features })),
      files: { int8Onnx: 'model.int8.onnx', int8Graph: 'int8-graph.json', ...(padding ? { firmwareBlob: 'padding.bin' } : {}) },
      int8: {
        inputs: graph.inputs.map((t, i) => ({ modality: graph.modalities[i]!, scale: graph.tensors[t]!.quant.scales[0]!, zeroPoint: graph.tensors[t]!.quant.zeroPoint })),
        logits: { scale: out.quant.scales[0]!, zeroPoint: out.quant.zeroPoint },
      },
      accuracy: [],
      memory: { weightBytes: 0, peakActivationBytes: 0, scratchBytes: 0, fits: [] },
      layers: [],
      pareto: [],
      provenance: { dataset: 'seeded random graph' },
    },
    { 'model.int8.onnx': exportInt8GraphToOnnx(graph), 'int8-graph.json': new TextEncoder().encode(serializeInt8Graph(graph)), ...(padding ? { 'padding.bin': padding } : {}) },
  );
}

/**
 * Signs a package as `deployToPi` does, with a fresh deploy sequence above what the Pi reports, for tests
 * that send uploads by hand (tampered, corrupted, replayed).
 */
export async function signForPi(studioData: string, target: PiTarget, pkgDir: string, allowDowngrade = false): Promise<SignedManifest> {
  const info = await piInfo(target);
  const meta = JSON.parse(readFileSync(join(pkgDir, 'model.json'), 'utf8')) as { id: string };
  const reached = info.deploySequences?.[meta.id]?.sequence ?? 0;
  const sequence = nextDeploySequence(studioData, { agentId: info.agentId, pi: formatPiAddress(target), modelId: meta.id, reported: reached });
  return signPackage(pkgDir, loadOrCreateStudioKey(studioData).privateKey, { sequence, allowDowngrade });
}

export interface AgentProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly fingerprint256: string;
  /** The most recent pairing code the agent printed. */
  code(): string | undefined;
  /** Resolves with the next pairing code printed after this call. */
  nextCode(): Promise<string>;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `bin/tinym2-agent.mjs` as a real process on 127.0.0.1 and waits until it listens. */
export function startAgentProcess(dataDir: string, port = 0, extraArgs: readonly string[] = []): Promise<AgentProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'tinym2-agent.mjs'), '--data', dataDir, '--port', String(port), '--host', '127.0.0.1', '--no-mdns', ...extraArgs], {
    env: { ...process.env, TINYM2_TEST: '1' },
  });
  let text = '';
  let code: string | undefined;
  let waiters: ((c: string) => void)[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // A test that dies must not leave an agent listening behind it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent did not start in 20 s:\n${text}`));
    }, 20_000);
    let fingerprint: string | undefined;
    let listening: number | undefined;
    const onLine = (line: string) => {
      const c = /^Pairing code: (\d+)/.exec(line);
      if (c) {
        code = c[1]!;
        const w = waiters;
        waiters = [];
        for (const f of w) f(code);
      }
      const f = /^Certificate fingerprint \(SHA-256\): (\S+)/.exec(line);
      if (f) fingerprint = f[1]!;
      const l = /^Listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (l) listening = Number(l[1]);
      if (fingerprint && listening !== undefined && code) {
        clearTimeout(timer);
        const p = listening;
        const fp = fingerprint;
        listening = undefined;
        resolve({
          child,
          port: p,
          fingerprint256: fp,
          code: () => code,
          nextCode: () => new Promise((r) => waiters.push(r)),
          output: () => text,
          kill9: async () => {
            child.kill('SIGKILL');
            await exited;
          },
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      lines.forEach(onLine);
    });
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (c, s) => {
      clearTimeout(timer);
      reject(new Error(`agent exited (${c ?? s}) before listening:\n${text}`));
    });
  });
}

/** Awaits `p` and requires it to fail with a PiDeviceError of `kind` (and `text`, when given); returns it. */
export async function expectPiError(p: Promise<unknown>, kind: PiDeviceError['kind'], text?: RegExp): Promise<PiDeviceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PiDeviceError, `expected a PiDeviceError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected a ${kind} refusal`);
}
