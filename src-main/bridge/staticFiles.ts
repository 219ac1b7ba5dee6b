import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { contentSecurityPolicy } from '../electron/contentSecurityPolicy';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
};

/**
 * Serves the built renderer. Only files inside `root` are reachable (no `..` escapes), unknown paths
 * fall back to index.html, and every response carries the same strict CSP the Electron window uses.
 * `path` is already percent-decoded (decodeRequestPath): decoding it again here would turn "%2525" into "%".
 */
export function serveStatic(root: string, path: string, res: ServerResponse, connectSrc: string): void {
  const target = normalize(join(root, path));
  if (target !== root && !target.startsWith(root.endsWith(sep) ? root : root + sep)) {
    res.writeHead(404).end('not found');
    return;
  }
  const file = existsSync(target) && statSync(target).isFile() ? target : join(root, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('The renderer is not built yet: run `npm run build`.');
    return;
  }
  res.writeHead(200, {
    'content-type': mimeTypes[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': contentSecurityPolicy(connectSrc),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  // pipeline, not pipe: a file that vanishes or fails mid-read must end this response, not the process.
  pipeline(createReadStream(file), res, () => undefined);
}
