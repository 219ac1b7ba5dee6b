import type { ApiErrorBody, ApiEvent, ApiEventPayload, ApiMethod, ApiRequest, ApiResponse, PreloadBridge, TinyM2Api } from '../../../src-main/api/contract';

/** An API failure with the service's own words; `field` names the bad field of a rejected request. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Listener = (payload: unknown) => void;

class Listeners {
  private readonly map = new Map<string, Set<Listener>>();
  add(event: string, l: Listener): () => void {
    let set = this.map.get(event);
    if (!set) this.map.set(event, (set = new Set()));
    set.add(l);
    return () => set.delete(l);
  }
  fire(event: string, payload: unknown): void {
    for (const l of this.map.get(event) ?? []) l(payload);
  }
}

/** Inside Electron: the preload's IPC pipe. */
function electronApi(preload: PreloadBridge): TinyM2Api {
  const listeners = new Listeners();
  preload.subscribe((event, payload) => listeners.fire(event, payload));
  return {
    async call(method, request) {
      const r = await preload.invoke(method, request);
      if (!r.ok) throw new ApiError(r.error.code, r.error.message, r.error.field);
      return r.result as never;
    },
    on: (event, listener) => listeners.add(event, listener as Listener),
  };
}

const TOKEN_KEY = 'tinym2.bridgeToken';

/** The bridge token arrives once in the URL fragment; keep it for this tab only and take it out of the address bar. */
export function takeBridgeToken(): string | undefined {
  const m = /^#token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]!);
    history.replaceState(null, '', `${location.pathname}#/screen`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** In a plain browser: HTTP for calls, a WebSocket for events, both with the per-run token. */
function bridgeApi(token: string): TinyM2Api {
  const listeners = new Listeners();
  let retryMs = 500;
  const connect = () => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/events`, ['tinym2.v1', `token.${token}`]);
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { event: string; payload: unknown };
      listeners.fire(msg.event, msg.payload);
    };
    ws.onopen = () => (retryMs = 500);
    ws.onclose = () => {
      listeners.fire('app.disconnected', undefined);
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  connect();
  return {
    async call(method, request) {
      const res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(request),
      });
      const body = (await res.json()) as { result?: unknown; error?: ApiErrorBody };
      if (!res.ok || body.error) {
        const e = body.error ?? { code: 'failed' as const, message: `HTTP ${res.status}` };
        throw new ApiError(e.code, e.message, e.field);
      }
      return body.result as never;
    },
    on: (event, listener) => listeners.add(event, listener as Listener),
  };
}

function createApi(): TinyM2Api | undefined {
  const preload = (window as unknown as { tinym2?: PreloadBridge }).tinym2;
  if (preload) return electronApi(preload);
  const token = takeBridgeToken();
  return token ? bridgeApi(token) : undefined;
}

/** The single API object every page uses; undefined when opened without a token (the app says how to fix it). */
export const api: TinyM2Api | undefined = createApi();

export type { ApiMethod, ApiRequest, ApiResponse, ApiEvent, ApiEventPayload };

/** Renders any error for a person: the service's message, never a stack trace. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.code === 'unauthorized' ? 'This window is not authorised: open the address printed by `npm start` again.' : e.message;
  if (e instanceof TypeError) return 'The app is not reachable. Is TinyM2 Studio still running?';
  return e instanceof Error ? e.message : String(e);
}
