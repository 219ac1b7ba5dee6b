/**
 * The GAPuino part of bench/results/deploy.json: time to deploy each bundled model's firmware blob over
 * the loader protocol to the simulated GAPuino (the firmware's host build, the same bytes as on the
 * board's UART) held to 115200 and 1,000,000 baud, 8N1; and the device-side INFER time the host build
 * reports. Run by bench/deploy.ts after the Pi part.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy } from '../src-main/devices/gapuino/deploy';
import { buildSimulatedGapuinoLoader, SimulatedGapuino } from '../src-main/devices/gapuino/simulatedGapuino';
import { pacedTransport } from '../src-main/devices/gapuino/uartPacing';
import { loadPackage } from '../src-main/models/catalog';
import { repoRoot } from '../src-main/storage/appPaths';
import { writeFileAtomic } from '../src-main/storage/atomicFile';

const BAUDS = [115_200, 1_000_000];
const work = mkdtempSync(join(tmpdir(), 'tm2-bench-gapuino-'));
try {
  const loaderPath = buildSimulatedGapuinoLoader(join(repoRoot, 'firmware'), join(work, 'build'));
  const rows = [];
  for (const id of ['coswara-gender-audio', 'pose-depth-thermal']) {
    const dir = join(repoRoot, 'resources', 'models', id);
    if (!existsSync(join(dir, 'model.json'))) {
      console.log(`${dir}: not built, skipped`);
      continue;
    }
    const meta = await loadPackage(dir);
    if ('reason' in meta) throw new Error(`${meta.path}: ${meta.reason}`);
    const blobBytes = statSync(join(dir, meta.files.firmwareBlob!)).size;
    for (const baud of BAUDS) {
      const flash = join(work, `${id}-${baud}.img`);
      const sim = SimulatedGapuino.start({ loaderPath, flashImage: flash });
      const t0 = performance.now();
      try {
        const r = await deploy(pacedTransport(sim, baud), dir, { timeoutMs: 30_000 });
        const seconds = (performance.now() - t0) / 1000;
        // Payload bytes on the wire bound the time from below: blob / (baud / 10).
        const lineSeconds = (blobBytes * 10) / baud;
        rows.push({ model: id, weightBytes: meta.memory.weightBytes, blobBytes, baud, seconds: Math.round(seconds * 1000) / 1000, payloadLineSeconds: Math.round(lineSeconds * 1000) / 1000, maxDiffLsb: r.maxDiffLsb, retransmissions: r.retransmissions, hostInferNs: r.cycles.toString() });
        console.log(`${id} (${blobBytes} B blob) at ${baud} baud: ${seconds.toFixed(2)} s (payload alone ${lineSeconds.toFixed(2)} s)`);
      } finally {
        await sim.close();
      }
    }
  }
  const gapuino = {
    benchmark: 'deploy to GAPuino over the loader protocol',
    measuredAt: new Date().toISOString(),
    transport: 'simulated GAPuino (firmware host build as a child process, flash in a file) paced to the UART baud rate, 8N1',
    notes: 'seconds include HELLO, BEGIN, DATA with acknowledgements, COMMIT (SHA-256 + parse check + slot switch) and a verifying INFER; hostInferNs is the host build\'s CPU time for INFER, not GAP8 cycles',
    deploys: rows,
  };
  const path = join(repoRoot, 'bench', 'results', 'deploy.json');
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileAtomic(path, `${JSON.stringify({ ...existing, gapuino }, null, 2)}\n`);
  console.log(`wrote ${path}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
