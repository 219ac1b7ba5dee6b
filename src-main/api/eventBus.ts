import { apiEvents, type ApiEvent, type ApiEventPayload } from './contract';

export type RawEventListener = (event: ApiEvent, payload: unknown) => void;

/**
 * Services publish events here; each transport subscribes once and forwards them (IPC to the window,
 * WebSocket to the browser). Payloads are checked against the contract before they leave the process.
 */
export class EventBus {
  private readonly listeners = new Set<RawEventListener>();

  emit<E extends ApiEvent>(event: E, payload: ApiEventPayload<E>): void {
    const checked = apiEvents[event].parse(payload);
    for (const l of this.listeners) l(event, checked);
  }

  subscribe(listener: RawEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
