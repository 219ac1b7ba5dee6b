/**
 * The studio side of test/devices/pi/mdnsDiscovery.test.ts, run inside the studio's network namespace:
 * follows the Pis announcing themselves with watchPis and prints one JSON line per event. A Pi whose
 * pairing code was given is paired at the discovered address through the app's API (devices.pairPi), looked
 * up in devices.list, and asked for /info over HTTPS, as the devices page does once a technician picks it.
 * Exits when stdin closes.
 *
 *   node --import tsx mdnsBrowseProbe.ts --refresh-ms 1000 --stale-ms 4000 --studio-data DIR [--code AGENT_ID=CODE]...
 */
import { join } from 'node:path';
import type { ApiResponse } from '../../../src-main/api/contract';
import type { ServiceHandlers } from '../../../src-main/api/dispatch';
import { pairedTarget, piInfo } from '../../../src-main/devices/pi/piClient';
import { watchPis, type DiscoveredPi } from '../../../src-main/devices/pi/piDiscovery';
import { repoRoot } from '../../../src-main/storage/appPaths';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const codes = new Map(argv.flatMap((a, i) => (argv[i - 1] === '--code' ? [a.split('=') as [string, string]] : [])));
const studioData = option('studio-data');
const started = Date.now();
const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, ...event })}\n`);

let api: Promise<(method: string, request: unknown) => Promise<unknown>> | undefined;
/** The services the app's window talks to, on the studio data dir (loaded only when pairing is asked for). */
function studioApi(dataDir: string): Promise<(method: string, request: unknown) => Promise<unknown>> {
  api ??= (async () => {
    const [{ createServices }, { dispatch }, { EventBus }] = await Promise.all([import('../../../src-main/api/services'), import('../../../src-main/api/dispatch'), import('../../../src-main/api/eventBus')]);
    const resourcesDir = join(repoRoot, 'resources');
    const paths = { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') };
    // As the app runs it: watching the network for Pis, so devices.list offers the unpaired ones.
    const services: ServiceHandlers = createServices({ paths, transport: 'bridge', events: new EventBus(), version: 'test', piDiscovery: true });
    return async (method: string, request: unknown) => {
      const r = await dispatch(services, method, request);
      if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
      return r.result;
    };
  })();
  return api;
}

async function pairAndAsk(pi: DiscoveredPi): Promise<void> {
  const code = pi.agentId === undefined ? undefined : codes.get(pi.agentId);
  if (!code || !studioData) return;
  try {
    const call = await studioApi(studioData);
    const address = `pi://${pi.host}:${pi.port}`;
    const unpairedNow = async () => ((await call('devices.list', {})) as ApiResponse<'devices.list'>).discovery?.unpaired.find((u) => u.address === address);
    // The page's own watch starts with its first listing and needs a moment to hear the Pi.
    let before = await unpairedNow();
    for (let i = 0; i < 50 && !before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = await unpairedNow();
    }
    const paired = (await call('devices.pairPi', { address: `${pi.host}:${pi.port}`, code })) as ApiResponse<'devices.pairPi'>;
    const listed = ((await call('devices.list', {})) as ApiResponse<'devices.list'>).devices.find((d) => d.id === paired.id);
    const info = await piInfo(pairedTarget(studioData, pi), 5000);
    const after = await unpairedNow();
    print({
      type: 'paired',
      host: pi.host,
      port: pi.port,
      id: paired.id,
      agentId: paired.agentId,
      fingerprint256: paired.fingerprint,
      listed: listed ? { kind: listed.kind, state: listed.state, fingerprint: listed.fingerprint } : null,
      info: { agentId: info.agentId, hostname: info.hostname },
      unpairedBefore: before ?? null,
      unpairedAfter: after ?? null,
    });
  } catch (e) {
    print({ type: 'pair-failed', host: pi.host, port: pi.port, error: (e as Error).message });
  }
}

const watch = watchPis({
  refreshMs: Number(option('refresh-ms') ?? 1000),
  staleMs: Number(option('stale-ms') ?? 4000),
  onChange: (c) => {
    print({ type: c.type, pi: c.pi, ...(c.reason ? { reason: c.reason } : {}) });
    if (c.type === 'found') void pairAndAsk(c.pi);
  },
  onProblem: (message) => print({ type: 'problem', message }),
});
print({ type: 'watching' });

process.stdin.resume();
process.stdin.once('end', () => {
  void watch.stop().then(() => {
    print({ type: 'stopped', current: watch.current() });
    process.exit(0);
  });
});
