import { checkUsb } from '../../devices/usbAvailability';
import { formatPiAddress, parsePiAddress, type PiAddress } from '../../devices/pi/piAddress';
import { pairedPiStatuses, pairPi, type PiStatus } from '../../devices/pi/piClient';
import { discoverPis } from '../../devices/pi/piDiscovery';
import { forgetPairedPi } from '../../devices/pi/pairedPis';
import { resolveAppPaths } from '../../storage/appPaths';
import { parseArgs, UsageError, type Command } from '../command';

/** A Pi address from the command line, as a usage error (exit 2) when it is malformed. */
export function piAddressArg(text: string | undefined, what: string): PiAddress {
  if (!text) throw new UsageError(`${what} is missing: write pi://host:port`);
  try {
    return parsePiAddress(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

function describe(s: PiStatus): string {
  const where = formatPiAddress(s.pi);
  const label = s.pi.name ? ` (${s.pi.name})` : '';
  if (!s.info) return `  ${where}${label}  ${s.state}  ${s.problem ?? ''}`;
  const { model, cpu, memory, uptimeSeconds } = s.info;
  const active = model.active ? `${model.active.id} ${model.active.version}` : 'no model';
  const previous = model.previous ? ` (previous ${model.previous.id} ${model.previous.version})` : '';
  return (
    `  ${where}${label}  online  agent ${s.info.agentId.slice(0, 8)} v${s.info.agentVersion}  model ${active}${previous}  ` +
    `${cpu.cores} cores ${cpu.arch}, ${gib(memory.freeBytes)} free of ${gib(memory.totalBytes)}, up ${Math.round(uptimeSeconds.agent)} s` +
    (model.problem ? `\n    problem: ${model.problem}` : '')
  );
}

export const devicesCommand: Command = {
  path: ['devices'],
  usage: '[--json] [--discover <seconds>]',
  summary: 'List paired Raspberry Pis (reachable or not, their model) and whether USB devices can be used',
  async run(args, ctx) {
    const { flags, options } = parseArgs(args, { flags: ['json'], options: ['discover'] });
    const dataDir = resolveAppPaths().dataDir;
    const discoverSeconds = options.has('discover') ? Number(options.get('discover')) : 0;
    if (!Number.isFinite(discoverSeconds) || discoverSeconds < 0 || discoverSeconds > 60) throw new UsageError('--discover takes a number of seconds (0–60)');
    const [pis, usb, discovered] = await Promise.all([pairedPiStatuses(dataDir), checkUsb(), discoverSeconds > 0 ? discoverPis(discoverSeconds) : Promise.resolve([])]);
    if (flags.has('json')) {
      const strip = (s: PiStatus) => ({ address: formatPiAddress(s.pi), agentId: s.pi.agentId, name: s.pi.name, fingerprint256: s.pi.fingerprint256, pairedAt: s.pi.pairedAt, state: s.state, info: s.info, problem: s.problem });
      ctx.out(JSON.stringify({ pis: pis.map(strip), usb, discovered }, null, 2));
      return 0;
    }
    ctx.out(pis.length ? 'Raspberry Pis (paired):' : 'No Raspberry Pi paired yet: start tinym2-agent on the Pi, then run tinym2 pair pi://<host>:8443 --code <code it shows>.');
    for (const s of pis) ctx.out(describe(s));
    for (const d of discovered) {
      if (pis.some((s) => s.pi.host === d.host && s.pi.port === d.port)) continue;
      ctx.out(`  found on the network, not paired: ${formatPiAddress(d)}  ${d.name}${d.fingerprintPrefix ? `  fingerprint ${d.fingerprintPrefix.match(/../g)!.join(':')}…` : ''}`);
    }
    ctx.out(usb.available ? 'USB: available (GAPuino boards can be flashed)' : `USB: ${usb.reason ?? 'unavailable'}`);
    return 0;
  },
};

export const pairCommand: Command = {
  path: ['pair'],
  usage: 'pi://<host>:<port> --code <digits> [--fingerprint <AA:BB:…>] [--name <label>]',
  summary: 'Pair with a Raspberry Pi running tinym2-agent, using the code it shows; pins its certificate',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { options: ['code', 'fingerprint', 'name'] });
    const address = piAddressArg(positionals[0], 'the Pi address');
    const code = options.get('code');
    if (!code || !/^\d{6,8}$/.test(code)) throw new UsageError('--code takes the 6–8 digit code the agent prints on the Pi');
    const fingerprint = options.get('fingerprint');
    if (fingerprint !== undefined && !/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(fingerprint)) throw new UsageError('--fingerprint takes the SHA-256 fingerprint as the agent prints it (32 hex pairs separated by colons)');
    const name = options.get('name');
    const pi = await pairPi(resolveAppPaths().dataDir, address, code, { ...(fingerprint ? { expectedFingerprint: fingerprint } : {}), ...(name ? { name } : {}) });
    ctx.out(`Paired with ${formatPiAddress(pi)} (agent ${pi.agentId}).`);
    ctx.out(`Certificate fingerprint (SHA-256): ${pi.fingerprint256}`);
    ctx.out(
      fingerprint
        ? 'It matches the fingerprint you gave.'
        : 'Compare it with the fingerprint the agent printed when it started. If they differ, another device answered: run tinym2 unpair and check the network.',
    );
    return 0;
  },
};

export const unpairCommand: Command = {
  path: ['unpair'],
  usage: 'pi://<host>:<port>',
  summary: 'Forget a paired Raspberry Pi (its token and pinned certificate)',
  async run(args, ctx) {
    const { positionals } = parseArgs(args, {});
    const address = piAddressArg(positionals[0], 'the Pi address');
    if (!forgetPairedPi(resolveAppPaths().dataDir, address)) {
      ctx.err(`${formatPiAddress(address)} was not paired.`);
      return 1;
    }
    ctx.out(`Forgot ${formatPiAddress(address)}.`);
    return 0;
  },
};
