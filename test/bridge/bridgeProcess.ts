import { createInterface } from 'node:readline';
import { EventBus } from '../../src-main/api/eventBus';
import type { ServiceHandlers } from '../../src-main/api/dispatch';
import { startBridge } from '../../src-main/bridge/server';

/**
 * A bridge in a process of its own, for tests that try to crash it: a crash must show as this process
 * dying, not be caught by the test runner's own handlers. Prints {port, token, origin} as one JSON line;
 * each line on stdin is a job.progress payload to emit; stdin closing stops it.
 *   tsx test/bridge/bridgeProcess.ts <staticDir> <maxBodyBytes>
 */
const [staticDir, maxBody] = process.argv.slice(2);
const services = {
  'app.info': async () => ({ name: 'TinyM2 Studio', version: 't', transport: 'bridge', platform: 'test', dataDir: '/tmp/x' }),
} satisfies Partial<ServiceHandlers> as Partial<ServiceHandlers> as ServiceHandlers; // only the methods the tests call

const events = new EventBus();
const bridge = await startBridge({ services, events, ...(staticDir ? { staticDir } : {}), maxBodyBytes: Number(maxBody ?? 1024) });
process.stdout.write(`${JSON.stringify({ port: bridge.port, token: bridge.token, origin: bridge.origin })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => events.emit('job.progress', JSON.parse(line) as never));
lines.on('close', () => void bridge.close().then(() => process.exit(0)));
