/**
 * Announces the agent on the local network as `_tinym2._tcp` so the studio can list Pis without typing an
 * address. Optional: a network without multicast still works by host:port.
 */
import { openBonjour } from '../devices/pi/piDiscovery';
import { MDNS_SERVICE_TYPE } from '../devices/pi/piProtocol';

export function advertise(agentId: string, port: number, fingerprint256: string, log: (line: string) => void): () => void {
  let warned = false;
  const bonjour = openBonjour((e) => {
    // One line: every later announcement fails the same way.
    if (warned) return;
    warned = true;
    log(`mDNS unavailable (${e.message}); add this Pi by host:port instead`);
  });
  const name = `tinym2-agent-${agentId.slice(0, 8)}`;
  // Every stock Raspberry Pi is called "raspberrypi"; a host name of our own keeps two agents' address
  // records apart, and the `.local` suffix lets standard resolvers (avahi, dns-sd) follow the SRV record.
  const service = bonjour.publish({ name, host: `${name}.local`, type: MDNS_SERVICE_TYPE, port, txt: { id: agentId, fp: fingerprint256.replace(/:/g, '').slice(0, 16) } });
  service.on('error', (e: unknown) => log(`mDNS announcement failed (${e instanceof Error ? e.message : String(e)}); add this Pi by host:port instead`));
  return () => {
    bonjour.unpublishAll(() => bonjour.destroy());
  };
}
