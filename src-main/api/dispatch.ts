import type { z } from 'zod';
import { apiMethods, isApiMethod, type ApiErrorBody, type ApiMethod, type ApiRequest, type ApiResponse } from './contract';

export type ServiceHandlers = { [M in ApiMethod]: (request: z.output<(typeof apiMethods)[M]['request']>) => Promise<ApiResponse<M>> };

/** A failure a service reports on purpose, with words for the user (a bad file, an unplugged device). */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    message: string,
    readonly code: 'not_found' | 'failed' = 'failed',
  ) {
    super(message);
  }
}

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

function describeZodError(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  const field = issue && issue.path.length ? issue.path.join('.') : '(body)';
  return { field, message: `field '${field}': ${issue?.message ?? 'invalid'}` };
}

/**
 * Validates a message against the contract, runs the service, and validates what the service returns,
 * so a service can never send the renderer something the contract does not promise. Transport-agnostic.
 */
export async function dispatch(handlers: ServiceHandlers, method: string, request: unknown): Promise<DispatchResult> {
  if (!isApiMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `unknown method '${method}'` } };
  const spec = apiMethods[method];
  const parsed = spec.request.safeParse(request ?? {});
  if (!parsed.success) {
    const { field, message } = describeZodError(parsed.error);
    return { ok: false, error: { code: 'invalid_request', message: `${method}: ${message}`, field } };
  }
  try {
    const handler = handlers[method] as (r: unknown) => Promise<unknown>;
    const result = await handler(parsed.data);
    const checked = spec.response.safeParse(result);
    if (!checked.success) {
      const { message } = describeZodError(checked.error);
      return { ok: false, error: { code: 'failed', message: `${method}: the service returned a malformed response (${message})` } };
    }
    return { ok: true, result: checked.data };
  } catch (e) {
    if (e instanceof ServiceError) return { ok: false, error: { code: e.code, message: e.message } };
    return { ok: false, error: { code: 'failed', message: `${method}: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

export type { ApiRequest };
