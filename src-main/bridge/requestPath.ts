/** The percent-decoded path of a request, or why the request target is refused (a 400). */
export type RequestPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/**
 * Decodes the path of an origin-form request target ("/api/app.info?x") exactly once, for routing and for
 * the file lookup alike. The absolute form ("http://host/…") is refused: it would name an authority that
 * the Host check never sees. A bad %-escape or a NUL is the client's mistake, so it is a 400, never a 500.
 */
export function decodeRequestPath(target: string | undefined): RequestPath {
  if (!target?.startsWith('/')) return { ok: false, reason: 'the request target must be a path starting with /' };
  const raw = target.split('?', 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { ok: false, reason: 'the path has a malformed %-escape' };
  }
  if (path.includes('\0')) return { ok: false, reason: 'the path contains a NUL character' };
  return { ok: true, path };
}
