import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion } from '../api/appVersion';
import { EventBus } from '../api/eventBus';
import { createServices } from '../api/services';
import { repoRoot, resolveAppPaths } from '../storage/appPaths';
import { startBridge } from './server';

/**
 * Runs the app without Electron: the services plus the bridge serving the built renderer, for a plain
 * browser. `npm start` falls back to this when the Electron binary is absent.
 *   tsx src-main/bridge/main.ts [--port N] [--no-open] [--no-mdns]
 */
async function main(argv: string[]): Promise<void> {
  const portIdx = argv.indexOf('--port');
  const port = portIdx >= 0 ? Number(argv[portIdx + 1]) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: '${argv[portIdx + 1]}' is not a port number`);
  const staticDir = join(repoRoot, 'out', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`the renderer is not built (${staticDir}/index.html missing): run \`npm run build\``);

  const events = new EventBus();
  const services = createServices({ paths: resolveAppPaths(), transport: 'bridge', events, version: packageVersion(), piDiscovery: !argv.includes('--no-mdns') });
  const bridge = await startBridge({ services, events, staticDir, port });
  console.log(`TinyM2 Studio is running at ${bridge.url}`);
  console.log('Open that address in a browser on this machine (it carries this run\'s access token). Ctrl+C stops.');

  if (!argv.includes('--no-open')) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [bridge.url], { stdio: 'ignore', detached: true });
    child.on('error', () => console.log(`(Could not open a browser with ${opener}; open the address above yourself.)`));
    child.unref();
  }

  const stop = () => {
    void bridge.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`tinym2 bridge: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
