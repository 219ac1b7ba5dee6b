import type { z } from 'zod';
import { apiMethods, isApiMethod, type ApiErrorBody, type ApiMethod, type ApiRequest, type ApiResponse } from './contract';

export type ServiceHandlers = { [M in ApiMethod]: (request: z.output<(typeof apiMethods)[M]['request']>) => Promise<ApiResponse<M>> };

/** A failure a service reports on purpose, with words for the user (a bad file, an unplugged device). */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    message: string,
    readonly code: 'not_found' | 'failed' = 'failed',
    /** The request field the person can change to get past this, e.g. `allowDowngrade` after a refused downgrade. */
    readonly field?: string,
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

/** Far longer than any method the contract names; it also caps what an error message echoes back. */
export const MAX_METHOD_NAME_LENGTH = 64;

/**
 * Validates a message against the contract, runs the service, and validates what the service returns,
 * so a service can never send the renderer something the contract does not promise. Transport-agnostic,
 * and it never throws: `method` and `request` arrive straight off the wire (IPC or HTTP), so anything at
 * all (not a string, megabytes long, a prototype key) becomes an error result, never an exception.
 */
export async function dispatch(handlers: ServiceHandlers, method: unknown, request: unknown): Promise<DispatchResult> {
  if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_request', message: 'the method name must be a string', field: 'method' } };
  if (method.length > MAX_METHOD_NAME_LENGTH) return { ok: false, error: { code: 'invalid_request', message: `the method name is longer than ${MAX_METHOD_NAME_LENGTH} characters`, field: 'method' } };
  if (!isApiMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `unknown method '${method}'` } };
  try {
    const spec = apiMethods[method];
    const parsed = spec.request.safeParse(request ?? {});
    if (!parsed.success) {
      const { field, message } = describeZodError(parsed.error);
      return { ok: false, error: { code: 'invalid_request', message: `${method}: ${message}`, field } };
    }
    const handler = handlers[method] as (r: unknown) => Promise<unknown>;
    const result = await handler(parsed.data);
    const checked = spec.response.safeParse(result);
    if (!checked.success) {
      const { message } = describeZodError(checked.error);
      return { ok: false, error: { code: 'failed', message: `${method}: the service returned a malformed response (${message})` } };
    }
    return { ok: true, result: checked.data };
  } catch (e) {
    if (e instanceof ServiceError) return { ok: false, error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } };
    return { ok: false, error: { code: 'failed', message: `${method}: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

export type { ApiRequest };
