/** Where our own renderer is loaded from: the Vite dev server in development, the built file otherwise. */
export type RendererLocation = { readonly devServerUrl: string } | { readonly fileUrl: string };

function parse(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Percent-decoded, so the same file compares equal however Chromium and Node chose to escape its path. */
function decodedPath(url: URL): string | undefined {
  // An escaped slash would name another path once decoded; Chromium refuses to load such file URLs anyway.
  if (/%2f|%5c/i.test(url.pathname)) return undefined;
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
}

/**
 * Whether a frame (an IPC sender, a navigation target) is our own renderer, and so may reach the
 * services. An exact match, never a prefix: "http://localhost:5173.evil.com" and ".../index.html.evil"
 * share a prefix with the real thing. In development the origin must equal the dev server's; otherwise
 * the URL must name the renderer's index.html itself, on no host; the hash (the page's route) and any
 * query are ignored. No electron import here, so it is tested under plain Node.
 */
export function isTrustedSender(frameUrl: string | undefined, renderer: RendererLocation): boolean {
  const frame = parse(frameUrl);
  if (!frame) return false;
  if ('devServerUrl' in renderer) {
    const dev = parse(renderer.devServerUrl);
    if (!dev || (dev.protocol !== 'http:' && dev.protocol !== 'https:')) return false;
    return frame.origin === dev.origin && frame.username === '' && frame.password === '';
  }
  const file = parse(renderer.fileUrl);
  if (!file || file.protocol !== 'file:' || frame.protocol !== 'file:' || frame.host !== file.host) return false;
  const framePath = decodedPath(frame);
  return framePath !== undefined && framePath === decodedPath(file);
}
