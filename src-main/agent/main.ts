/**
 * `tinym2-agent`: runs on a Raspberry Pi, receives signed int8 models from TinyM2 Studio, activates them
 * atomically and answers inference requests over HTTPS. See docs/pi-agent.md.
 *
 *   npx tinym2-agent --data /var/lib/tinym2 --port 8443
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageVersion } from '../api/appVersion';
import { DEFAULT_AGENT_PORT } from '../devices/pi/piProtocol';
import { startAgent } from './agentServer';
import { advertise } from './mdnsAdvert';
import { DEFAULT_PAIRING_POLICY, type PairingPolicy } from './pairing';
import { loadOrCreateTlsIdentity } from './tlsIdentity';
import { DEFAULT_UPLOAD_PACE } from './uploadPace';

const USAGE = `Usage: tinym2-agent [--data DIR] [--port N] [--host ADDR] [--no-mdns] [--max-upload-mb N]
                    [--min-upload-kb-per-second N] [--upload-window-seconds N]
                    [--pair-code-ttl-seconds N] [--pair-lockout-seconds N]

  --data DIR     where the certificate, pairings and models live (default ~/.local/share/tinym2-agent)
  --port N       HTTPS port (default ${DEFAULT_AGENT_PORT}; 0 picks a free one)
  --host ADDR    address to listen on (default 0.0.0.0, every interface)
  --no-mdns      do not announce the agent on the local network (also off when TINYM2_TEST=1)
  --min-upload-kb-per-second N, --upload-window-seconds N
                 an upload slower than N KB/s over a window (default ${DEFAULT_UPLOAD_PACE.minBytesPerSecond / 1024} KB/s over ${DEFAULT_UPLOAD_PACE.windowMs / 1000} s) is stopped`;

function parse(argv: readonly string[]): Map<string, string> {
  const known = new Set(['data', 'port', 'host', 'no-mdns', 'max-upload-mb', 'min-upload-kb-per-second', 'upload-window-seconds', 'pair-code-ttl-seconds', 'pair-lockout-seconds', 'help']);
  const flags = new Set(['no-mdns', 'help']);
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      out.set('help', '');
      continue;
    }
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (!known.has(name)) throw new Error(`unknown argument '${a}'`);
    if (flags.has(name)) out.set(name, '');
    else {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      out.set(name, value);
    }
  }
  return out;
}

function positiveNumber(args: Map<string, string>, name: string, fallback: number, allowZero = false): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${raw}'`);
  return n;
}

function pairingPolicy(args: Map<string, string>): PairingPolicy {
  const lockoutMs = positiveNumber(args, 'pair-lockout-seconds', DEFAULT_PAIRING_POLICY.lockoutMs / 1000) * 1000;
  return {
    ...DEFAULT_PAIRING_POLICY,
    codeTtlMs: positiveNumber(args, 'pair-code-ttl-seconds', DEFAULT_PAIRING_POLICY.codeTtlMs / 1000) * 1000,
    lockoutMs,
    // The lockout doubles with each burned code; a longer first lockout raises the cap with it.
    maxLockoutMs: Math.max(DEFAULT_PAIRING_POLICY.maxLockoutMs, lockoutMs),
  };
}

async function main(): Promise<number> {
  let args: Map<string, string>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tinym2-agent: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dataDir = resolve(args.get('data') ?? join(homedir(), '.local', 'share', 'tinym2-agent'));
  const port = positiveNumber(args, 'port', DEFAULT_AGENT_PORT, true);
  const host = args.get('host') ?? '0.0.0.0';
  const version = packageVersion();
  const tls = loadOrCreateTlsIdentity(dataDir);
  const agent = await startAgent(tls, {
    dataDir,
    host,
    port,
    maxUploadBytes: positiveNumber(args, 'max-upload-mb', 64) * 1024 * 1024,
    uploadPace: {
      minBytesPerSecond: positiveNumber(args, 'min-upload-kb-per-second', DEFAULT_UPLOAD_PACE.minBytesPerSecond / 1024) * 1024,
      windowMs: positiveNumber(args, 'upload-window-seconds', DEFAULT_UPLOAD_PACE.windowMs / 1000) * 1000,
    },
    pairing: pairingPolicy(args),
    agentVersion: version,
    log,
  });
  const mdnsOff = args.has('no-mdns') || process.env.TINYM2_TEST === '1';
  const stopAdvert = mdnsOff ? undefined : advertise(agent.agentId, agent.port, tls.fingerprint256, log);
  const stop = () => {
    stopAdvert?.();
    void agent.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return 0;
}

main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`tinym2-agent: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
