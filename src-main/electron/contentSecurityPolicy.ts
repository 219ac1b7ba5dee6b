/**
 * One strict Content-Security-Policy for the renderer, whichever way it is loaded. No inline or remote
 * scripts, no eval; the only network peer is the app's own bridge (`connectSrc`), or none in Electron.
 */
export function contentSecurityPolicy(connectSrc = "'none'"): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Svelte sets style attributes at run time (transitions, bound widths); no inline <style> from data.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src ${connectSrc}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
