/**
 * The only sites a link in the app may open in the system browser: the documentation and attribution
 * hosts the bundled resources cite (resources/targets/*.json sources, resources/samples/ATTRIBUTION.md).
 * Exact host names: a subdomain or a look-alike is another site.
 */
export const externalLinkHosts: ReadonlySet<string> = new Set([
  'arxiv.org',
  'creativecommons.org',
  'developer.arm.com',
  'github.com',
  'greenwaves-technologies.com',
  'www.raspberrypi.com',
]);

/** Longer than any real documentation link; a longer one is smuggling something. */
const MAX_LINK_LENGTH = 2048;

export type ExternalLinkDecision = { readonly open: true; readonly url: string } | { readonly open: false; readonly reason: string };

/**
 * Decides whether a URL the renderer tried to open (window.open, a link, a navigation) goes to the system
 * browser. Only https, only an allow-listed host on the default port, and no user name or password
 * ("https://github.com@evil.example" names evil.example). The URL handed on is the one parsed here,
 * re-serialised, so the browser opens exactly what was checked. No electron import: tested under plain Node.
 */
export function externalLinkDecision(raw: string, allowedHosts: ReadonlySet<string> = externalLinkHosts): ExternalLinkDecision {
  if (raw.length > MAX_LINK_LENGTH) return { open: false, reason: `longer than ${MAX_LINK_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { open: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:') return { open: false, reason: `${url.protocol} links are never opened, only https:` };
  if (url.username !== '' || url.password !== '') return { open: false, reason: 'credentials in the URL' };
  if (url.port !== '') return { open: false, reason: 'a non-default port' };
  if (!allowedHosts.has(url.hostname)) return { open: false, reason: `${url.hostname} is not on the allow-list` };
  return { open: true, url: url.href };
}
