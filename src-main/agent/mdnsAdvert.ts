/**
 * Announces the agent on the local network as `_tinym2._tcp` so the studio can list Pis without typing an
 * address. Optional: a network without multicast still works by host:port.
 */
import { Bonjour } from 'bonjour-service';
import { MDNS_SERVICE_TYPE } from '../devices/pi/piProtocol';

export function advertise(agentId: string, port: number, fingerprint256: string, log: (line: string) => void): () => void {
  const bonjour = new Bonjour(undefined, (e: unknown) => log(`mDNS unavailable (${e instanceof Error ? e.message : String(e)}); add this Pi by host:port instead`));
  const service = bonjour.publish({ name: `tinym2-agent-${agentId.slice(0, 8)}`, type: MDNS_SERVICE_TYPE, port, txt: { id: agentId, fp: fingerprint256.replace(/:/g, '').slice(0, 16) } });
  service.on('error', (e: unknown) => log(`mDNS announcement failed (${e instanceof Error ? e.message : String(e)}); add this Pi by host:port instead`));
  return () => {
    bonjour.unpublishAll(() => bonjour.destroy());
  };
}
