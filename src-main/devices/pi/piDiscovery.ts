/**
 * Finds agents announcing `_tinym2._tcp` on the local network (mDNS). Only a convenience: a Pi can always
 * be added by host:port, and a network that drops multicast simply finds nothing.
 */
import { Bonjour } from 'bonjour-service';
import { MDNS_SERVICE_TYPE } from './piProtocol';

export interface DiscoveredPi {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly agentId?: string;
  /** First 16 hex digits of the certificate fingerprint, to compare before pairing. */
  readonly fingerprintPrefix?: string;
}

export async function discoverPis(seconds: number): Promise<DiscoveredPi[]> {
  const bonjour = new Bonjour();
  const found = new Map<string, DiscoveredPi>();
  const browser = bonjour.find({ type: MDNS_SERVICE_TYPE }, (s) => {
    const txt = (s.txt ?? {}) as Record<string, unknown>;
    const host = s.addresses?.find((a) => !a.includes(':')) ?? s.host;
    found.set(`${host}:${s.port}`, {
      name: s.name,
      host,
      port: s.port,
      ...(typeof txt.id === 'string' ? { agentId: txt.id } : {}),
      ...(typeof txt.fp === 'string' ? { fingerprintPrefix: txt.fp } : {}),
    });
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  browser.stop();
  await new Promise<void>((r) => bonjour.destroy(() => r()));
  return [...found.values()];
}
