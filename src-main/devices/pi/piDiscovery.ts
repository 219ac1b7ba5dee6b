/**
 * Finds agents announcing `_tinym2._tcp` on the local network (mDNS). Only a convenience: a Pi can always
 * be added by host:port, and a network that drops multicast simply finds nothing.
 */
import type { EventEmitter } from 'node:events';
import { isIPv4 } from 'node:net';
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { MDNS_SERVICE_TYPE } from './piProtocol';

export interface DiscoveredPi {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly agentId?: string;
  /** First 16 hex digits of the certificate fingerprint, to compare before pairing. */
  readonly fingerprintPrefix?: string;
}

export interface PiDiscoveryChange {
  readonly type: 'found' | 'updated' | 'gone';
  readonly pi: DiscoveredPi;
  /** For 'gone': the agent said goodbye (it stopped), or it fell silent (power cut, cable pulled). */
  readonly reason?: 'goodbye' | 'silent';
}

export interface PiWatchOptions {
  /** How often the network is asked again; a lost UDP answer costs one round, not the Pi. Default 10 s. */
  readonly refreshMs?: number;
  /** A Pi not heard from for this long is dropped (it never said goodbye). Default 3 rounds; Infinity keeps it. */
  readonly staleMs?: number;
  readonly onChange?: (change: PiDiscoveryChange) => void;
  /** mDNS could not start (port 5353 taken, no network): the watch then finds nothing. */
  readonly onProblem?: (message: string) => void;
}

export interface PiWatch {
  /** The Pis announcing themselves now. */
  current(): DiscoveredPi[];
  stop(): Promise<void>;
}

/**
 * A Bonjour whose socket errors reach `onError`. bonjour-service never listens for them, so without this
 * a port 5353 held by another program throws from the socket and ends the whole process.
 */
export function openBonjour(onError: (e: Error) => void): Bonjour {
  const bonjour = new Bonjour(undefined, (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))));
  const mdns = (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns;
  mdns?.on('error', onError);
  return bonjour;
}

/**
 * The address to reach the agent at. The packet's source is on the studio's own link; the A records list
 * every interface of the Pi (docker0, a second NIC), some unreachable from here.
 */
function reachableHost(s: Service): string {
  const ipv4 = (s.addresses ?? []).filter((a) => isIPv4(a));
  const source = s.referer?.address;
  if (source && ipv4.includes(source)) return source;
  return ipv4[0] ?? (source && isIPv4(source) ? source : s.host);
}

function describe(s: Service): DiscoveredPi {
  const txt = (s.txt ?? {}) as Record<string, unknown>;
  return {
    name: s.name,
    host: reachableHost(s),
    port: s.port,
    ...(typeof txt.id === 'string' ? { agentId: txt.id } : {}),
    ...(typeof txt.fp === 'string' ? { fingerprintPrefix: txt.fp } : {}),
  };
}

const samePi = (a: DiscoveredPi, b: DiscoveredPi) =>
  a.name === b.name && a.host === b.host && a.port === b.port && a.agentId === b.agentId && a.fingerprintPrefix === b.fingerprintPrefix;

/**
 * Follows the agents on the network until stopped. Each round starts a fresh browser, whose first answers
 * prove who is still there; the previous round's browser stays open so a goodbye is never missed in between.
 */
export function watchPis(options: PiWatchOptions = {}): PiWatch {
  const refreshMs = options.refreshMs ?? 10_000;
  const staleMs = options.staleMs ?? 3 * refreshMs;
  const seen = new Map<string, { pi: DiscoveredPi; lastSeen: number }>();
  const emit = (change: PiDiscoveryChange) => options.onChange?.(change);
  let failed = false;
  const bonjour = openBonjour((e) => {
    if (failed) return;
    failed = true;
    options.onProblem?.(`mDNS unavailable (${e.message}); add Pis by host:port instead`);
  });

  const heard = (s: Service) => {
    if (!s.fqdn || !s.port) return;
    const pi = describe(s);
    const before = seen.get(s.fqdn);
    seen.set(s.fqdn, { pi, lastSeen: Date.now() });
    if (!before) emit({ type: 'found', pi });
    else if (!samePi(before.pi, pi)) emit({ type: 'updated', pi });
  };
  const gone = (fqdn: string, reason: 'goodbye' | 'silent') => {
    const entry = seen.get(fqdn);
    if (!entry) return;
    seen.delete(fqdn);
    emit({ type: 'gone', pi: entry.pi, reason });
  };

  const browsers: Browser[] = [];
  const round = () => {
    const now = Date.now();
    for (const [fqdn, entry] of seen) if (now - entry.lastSeen > staleMs) gone(fqdn, 'silent');
    const browser = bonjour.find({ type: MDNS_SERVICE_TYPE });
    browser.on('up', heard);
    browser.on('srv-update', heard);
    browser.on('txt-update', heard);
    browser.on('down', (s: Service) => gone(s.fqdn, 'goodbye'));
    browsers.push(browser);
    while (browsers.length > 2) browsers.shift()!.stop();
  };
  round();
  const timer = setInterval(round, refreshMs);

  let stopped: Promise<void> | undefined;
  return {
    current: () => [...seen.values()].map((e) => e.pi),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const b of browsers.splice(0)) b.stop();
        bonjour.destroy(() => resolve());
      });
      return stopped;
    },
  };
}

/** Everything that announced itself within `seconds` and did not say goodbye before the end. */
export async function discoverPis(seconds: number): Promise<DiscoveredPi[]> {
  const watch = watchPis({ refreshMs: 1000, staleMs: Infinity });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const found = watch.current();
  await watch.stop();
  return found;
}
