import { DEFAULT_AGENT_PORT } from './piProtocol';

export interface PiAddress {
  readonly host: string;
  readonly port: number;
}

/** `pi://host:port`, `host:port` or `host` (default port) → address; names the bad part otherwise. */
export function parsePiAddress(text: string): PiAddress {
  const rest = text.startsWith('pi://') ? text.slice(5) : text;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(rest);
  if (!m) throw new Error(`'${text}' is not a Pi address: write pi://host:port, e.g. pi://192.168.1.20:${DEFAULT_AGENT_PORT}`);
  const port = m[2] === undefined ? DEFAULT_AGENT_PORT : Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`'${text}': port ${port} is out of range (1–65535)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function formatPiAddress(a: PiAddress): string {
  return `pi://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
