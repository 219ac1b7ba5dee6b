/**
 * mDNS discovery for real, across two Linux network namespaces joined by a veth pair (the loopback has no
 * multicast): the agent, started as on a Pi with its announcement on, in namespace A; the studio's
 * watchPis (test/devices/pi/mdnsBrowseProbe.ts) and the `tinym2 devices --discover` command in namespace B.
 * Needs root (CI runs as root); skips, saying why, where namespaces cannot be made.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { repoRoot } from '../../../src-main/storage/appPaths';

const run = promisify(execFile);
const nsA = `tm2a-${process.pid}`;
const nsB = `tm2b-${process.pid}`;
const vethA = `tm2va${process.pid}`;
const vethB = `tm2vb${process.pid}`;
const addrA = '10.77.0.1';
const addrB = '10.77.0.2';
const root = mkdtempSync(join(tmpdir(), 'tm2-mdns-'));
const children = new Set<ChildProcessWithoutNullStreams>();
let skipReason: string | undefined;

/** Without TINYM2_TEST, so the agent announces itself as it does on a Pi. */
function piEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TINYM2_TEST;
  return env;
}

function spawnIn(ns: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { cwd: repoRoot, env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

function removeNamespaces(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const ns of [nsA, nsB]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // Not created (or already gone).
    }
  }
}

/** Names left by an earlier run of this file that was killed before its cleanup could run. */
function removeOrphanedNamespaces(): void {
  for (const m of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).matchAll(/^tm2[ab]-(\d+)\b/gm)) {
    const pid = Number(m[1]);
    try {
      process.kill(pid, 0);
    } catch {
      execFileSync('ip', ['netns', 'del', m[0]], { stdio: 'ignore' });
    }
  }
}

function makeNamespaces(): void {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  removeOrphanedNamespaces();
  ip('netns', 'add', nsA);
  ip('netns', 'add', nsB);
  ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB);
  for (const [ns, dev, addr] of [[nsA, vethA, addrA], [nsB, vethB, addrB]] as const) {
    ip('link', 'set', dev, 'netns', ns);
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up', 'multicast', 'on');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    // No default route in a fresh namespace: multicast needs to be told which link to leave by.
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
}

/** Lines of a child's stdout as they come, with a wait for the first one matching. */
class Lines {
  readonly all: string[] = [];
  private waiters: (() => void)[] = [];
  text = '';

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      this.text += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      this.all.push(...lines);
      this.wake();
    });
    child.stderr.on('data', (d: Buffer) => (this.text += d.toString()));
    child.once('exit', () => this.wake());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** `from`: a line index (this.all.length earlier) so only what came after counts. */
  async waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number, what: string, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; from < this.all.length; from++) {
        const hit = pick(this.all[from]!);
        if (hit !== undefined) return hit;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) assert.fail(`${what}: the process exited (${this.child.exitCode ?? this.child.signalCode}) first:\n${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`${what}: not within ${timeoutMs} ms. Output so far:\n${this.text}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

interface NsAgent {
  readonly lines: Lines;
  readonly agentId: string;
  readonly fingerprint256: string;
  readonly port: number;
  readonly code: string;
  readonly exited: Promise<void>;
}

async function startAgentIn(ns: string, name: string): Promise<NsAgent> {
  const child = spawnIn(ns, [join(repoRoot, 'bin', 'tinym2-agent.mjs'), '--data', join(root, name), '--port', '0'], piEnv());
  const exited = exitOf(child);
  const lines = new Lines(child);
  const agentId = await lines.waitFor((l) => /agent id ([0-9a-f-]{36})/.exec(l)?.[1], 20_000, `${name} printing its id`);
  const fingerprint256 = await lines.waitFor((l) => /^Certificate fingerprint \(SHA-256\): (\S+)/.exec(l)?.[1], 20_000, `${name} printing its fingerprint`);
  const port = Number(await lines.waitFor((l) => /^Listening on https:\/\/0\.0\.0\.0:(\d+)/.exec(l)?.[1], 20_000, `${name} listening`));
  const code = await lines.waitFor((l) => /^Pairing code: (\d+)/.exec(l)?.[1], 20_000, `${name} printing a pairing code`);
  return { lines, agentId, fingerprint256, port, code, exited };
}

interface ProbeEvent {
  readonly ms: number;
  readonly type: string;
  readonly pi?: { name: string; host: string; port: number; agentId?: string; fingerprintPrefix?: string };
  readonly reason?: string;
  readonly host?: string;
  readonly port?: number;
  readonly agentId?: string;
  readonly fingerprint256?: string;
  readonly id?: string;
  readonly listed?: { kind: string; state: string; fingerprint?: string } | null;
  readonly info?: { agentId: string; hostname: string };
  readonly unpairedBefore?: { address: string; name: string; agentId?: string; fingerprintPrefix?: string } | null;
  readonly unpairedAfter?: { address: string } | null;
  readonly message?: string;
  readonly error?: string;
}

function startProbe(ns: string, args: readonly string[]): Lines {
  return new Lines(spawnIn(ns, ['--import', 'tsx', join(repoRoot, 'test', 'devices', 'pi', 'mdnsBrowseProbe.ts'), ...args]));
}

const event = (pick: (e: ProbeEvent) => boolean) => (line: string): ProbeEvent | undefined => {
  if (!line.startsWith('{')) return undefined;
  const e = JSON.parse(line) as ProbeEvent;
  return pick(e) ? e : undefined;
};

async function stopProbe(probe: Lines): Promise<ProbeEvent> {
  probe.child.stdin.end();
  return probe.waitFor(event((e) => e.type === 'stopped'), 10_000, 'the probe stopping');
}

before(() => {
  if (process.platform !== 'linux') skipReason = 'network namespaces are Linux only';
  else if (process.getuid?.() !== 0) skipReason = `creating network namespaces needs root (running as uid ${process.getuid?.()})`;
  else {
    process.once('exit', removeNamespaces);
    try {
      makeNamespaces();
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
      skipReason = `cannot create network namespaces here: ${stderr || (e as Error).message}`;
      removeNamespaces();
    }
  }
});

after(async () => {
  const exits = [...children].map(exitOf);
  removeNamespaces();
  await Promise.all(exits);
  rmSync(root, { recursive: true, force: true });
});

test('the studio in another namespace finds announcing agents, pairs at the discovered address, and sees them go (goodbye and silence)', { timeout: 50_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const [polite, abrupt] = await Promise.all([startAgentIn(nsA, 'agent-polite'), startAgentIn(nsA, 'agent-abrupt')]);
  const studioData = join(root, 'studio');
  const probe = startProbe(nsB, ['--refresh-ms', '1000', '--stale-ms', '6000', '--studio-data', studioData, '--code', `${polite.agentId}=${polite.code}`, '--code', `${abrupt.agentId}=${abrupt.code}`]);

  for (const agent of [polite, abrupt]) {
    const found = await probe.waitFor(event((e) => e.type === 'found' && e.pi?.agentId === agent.agentId), 15_000, `discovering agent ${agent.agentId}`);
    assert.equal(found.pi!.host, addrA, 'the address on the studio side of the link');
    assert.equal(found.pi!.port, agent.port);
    assert.equal(found.pi!.name, `tinym2-agent-${agent.agentId.slice(0, 8)}`);
    assert.equal(found.pi!.fingerprintPrefix, agent.fingerprint256.replace(/:/g, '').slice(0, 16));
    const paired = await probe.waitFor(event((e) => (e.type === 'paired' || e.type === 'pair-failed') && e.port === agent.port), 15_000, `pairing with ${agent.agentId}`);
    assert.equal(paired.type, 'paired', paired.error);
    assert.equal(paired.host, addrA);
    assert.equal(paired.agentId, agent.agentId);
    assert.equal(paired.fingerprint256, agent.fingerprint256, 'the certificate served at the discovered address is the agent’s');
    assert.ok(paired.fingerprint256!.replace(/:/g, '').startsWith(found.pi!.fingerprintPrefix!), 'the TXT prefix is what a technician compares');
    assert.equal(paired.info!.agentId, agent.agentId, 'GET /info over HTTPS from the studio namespace');
    assert.equal(paired.id, `pi://${addrA}:${agent.port}`);
    assert.deepEqual(paired.listed, { kind: 'pi', state: 'connected', fingerprint: agent.fingerprint256 }, 'devices.list shows the Pi paired from discovery, online');
    assert.deepEqual(
      paired.unpairedBefore,
      { address: `pi://${addrA}:${agent.port}`, name: found.pi!.name, agentId: agent.agentId, fingerprintPrefix: found.pi!.fingerprintPrefix },
      'before pairing, devices.list offers the announcing Pi to pair',
    );
    assert.equal(paired.unpairedAfter, null, 'once paired it is a device, no longer offered');
  }

  // The command a technician runs lists both: paired and online, and as found on the network.
  const cli = await run('ip', ['netns', 'exec', nsB, process.execPath, join(repoRoot, 'bin', 'tinym2.mjs'), 'devices', '--discover', '2', '--json'], {
    cwd: repoRoot,
    env: { ...process.env, TINYM2_DATA_DIR: studioData },
    timeout: 20_000,
  });
  const listed = JSON.parse(cli.stdout) as { pis: { address: string; agentId: string; state: string }[]; discovered: { host: string; port: number; agentId?: string }[] };
  for (const agent of [polite, abrupt]) {
    const pi = listed.pis.find((p) => p.agentId === agent.agentId);
    assert.equal(pi?.address, `pi://${addrA}:${agent.port}`, cli.stdout);
    assert.equal(pi?.state, 'online', cli.stdout);
    assert.deepEqual(
      listed.discovered.filter((d) => d.agentId === agent.agentId).map((d) => `${d.host}:${d.port}`),
      [`${addrA}:${agent.port}`],
      cli.stdout,
    );
  }

  // SIGTERM: the agent says goodbye on its way out, and the studio drops it at once.
  const terminatedAt = Date.now();
  const beforeTerm = probe.all.length;
  polite.lines.child.kill('SIGTERM');
  const bye = await probe.waitFor(event((e) => e.type === 'gone' && e.pi?.agentId === polite.agentId), 10_000, 'the stopped agent going away', beforeTerm);
  const byeMs = Date.now() - terminatedAt;
  assert.equal(bye.reason, 'goodbye');
  assert.ok(byeMs < 4000, `gone ${byeMs} ms after SIGTERM: faster than silence (6 s) could explain`);
  await polite.exited;
  assert.equal(polite.lines.child.exitCode, 0, polite.lines.text);

  // SIGKILL: no goodbye; the studio notices the silence after the stale time.
  const killedAt = Date.now();
  const beforeKill = probe.all.length;
  abrupt.lines.child.kill('SIGKILL');
  const silent = await probe.waitFor(event((e) => e.type === 'gone' && e.pi?.agentId === abrupt.agentId), 15_000, 'the killed agent going away', beforeKill);
  const silentMs = Date.now() - killedAt;
  assert.equal(silent.reason, 'silent');
  assert.ok(silentMs >= 4500 && silentMs < 12_000, `dropped ${silentMs} ms after it fell silent (stale after 6 s, asked every 1 s)`);
  const stopped = await stopProbe(probe);
  assert.deepEqual((stopped as unknown as { current: unknown[] }).current, []);
  // Each Pi was found once and went once: no flapping while it was up.
  const changes = probe.all.filter((l) => /"type":"(found|updated|gone)"/.test(l)).map((l) => { const e = JSON.parse(l) as ProbeEvent; return `${e.type} ${e.pi?.agentId}`; });
  assert.deepEqual(changes.sort(), [`found ${abrupt.agentId}`, `found ${polite.agentId}`, `gone ${abrupt.agentId}`, `gone ${polite.agentId}`].sort(), probe.text);
  t.diagnostic(`goodbye seen ${byeMs} ms after SIGTERM; silence noticed ${silentMs} ms after SIGKILL`);
});

test('port 5353 held by another program: the agent keeps serving without mDNS and the studio finds nothing, neither crashes', { timeout: 40_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  // Bound without SO_REUSEADDR, as some responders do, so nothing else may bind 5353 in namespace A.
  const holder = new Lines(spawnIn(nsA, ['-e', "const s=require('dgram').createSocket('udp4');s.bind(5353,()=>console.log('bound'));process.stdin.resume();process.stdin.on('end',()=>process.exit(0))"]));
  await holder.waitFor((l) => (l === 'bound' ? true : undefined), 10_000, 'a program holding port 5353');
  const agent = await startAgentIn(nsA, 'agent-no-mdns');
  const warning = await agent.lines.waitFor((l) => (/^mDNS unavailable/.test(l) ? l : undefined), 10_000, 'the agent reporting mDNS unavailable');
  assert.match(warning, /EADDRINUSE.*add this Pi by host:port instead/);

  const probe = startProbe(nsA, ['--refresh-ms', '500']);
  const problem = await probe.waitFor(event((e) => e.type === 'problem'), 10_000, 'the studio reporting mDNS unavailable');
  assert.match(problem.message!, /EADDRINUSE/);
  await new Promise((r) => setTimeout(r, 1500));
  const stopped = await stopProbe(probe);
  assert.deepEqual((stopped as unknown as { current: unknown[] }).current, []);
  await exitOf(probe.child);
  assert.equal(probe.child.exitCode, 0, probe.text);

  // Still up and serving its certificate to the other namespace.
  assert.equal(agent.lines.child.exitCode, null, agent.lines.text);
  const tls = await run(
    'ip',
    ['netns', 'exec', nsB, process.execPath, '-e', `const s=require('tls').connect({host:'${addrA}',port:${agent.port},rejectUnauthorized:false},()=>{console.log(s.getPeerCertificate().fingerprint256);s.destroy()})`],
    { timeout: 10_000 },
  );
  assert.equal(tls.stdout.trim(), agent.fingerprint256);

  agent.lines.child.kill('SIGTERM');
  await agent.exited;
  assert.equal(agent.lines.child.exitCode, 0, agent.lines.text);
  holder.child.stdin.end();
});
