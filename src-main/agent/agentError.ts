import type { AgentErrorCode } from '../devices/pi/piProtocol';

/** A request the agent refuses: the HTTP status, a code the studio maps to advice, and plain words. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly status: number,
    readonly code: AgentErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
