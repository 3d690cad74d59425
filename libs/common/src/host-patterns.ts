/**
 * Matches a URL against the manifest's `permissions.hosts`: `api.example.com` (that host only),
 * `*.example.com` (any subdomain at any depth, not the apex), each optionally with `:port`. A pattern
 * without a port allows the scheme's default port only, so `api.example.com` never opens
 * `api.example.com:6379`. Comparison happens on the URL parser's normalized host, so spellings like
 * `API.Example.com.` or `http://2130706433/` are judged by what they really address.
 */

/** The spelling of a pattern: a lower-case host name, optionally `*.` in front and `:port` behind. */
export const HOST_PATTERN_SYNTAX =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/;

interface HostPattern {
  wildcard: boolean;
  host: string;
  port: string | undefined;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

function parsePattern(pattern: string): HostPattern {
  let rest = pattern.trim().toLowerCase();
  const wildcard = rest.startsWith('*.');
  if (wildcard) rest = rest.slice(2);
  let port: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    port = String(Number(rest.slice(colon + 1)));
    rest = rest.slice(0, colon);
  }
  return { wildcard, host: rest.replace(/\.$/, ''), port };
}

export type HostMatcher = (url: URL) => boolean;

export function compileHostPatterns(patterns: readonly string[]): HostMatcher {
  const compiled = patterns.map(parsePattern);
  return (url) => {
    const defaultPort = DEFAULT_PORTS[url.protocol];
    if (!defaultPort) return false;
    const host = url.hostname.toLowerCase().replace(/\.$/, '');
    // IPv6 literals cannot be written in a manifest, so they never match.
    if (host.startsWith('[')) return false;
    const port = url.port === '' ? defaultPort : url.port;
    return compiled.some((p) => {
      if ((p.port ?? defaultPort) !== port) return false;
      return p.wildcard ? host.endsWith('.' + p.host) : host === p.host;
    });
  };
}

/**
 * Whether everything `pattern` matches is matched by one of `allowed` (used to check that a narrower
 * list, such as an approval's caps, really only narrows): same port, and the same host, or a host
 * under an allowed wildcard (`a.example.com` and `*.a.example.com` are within `*.example.com`).
 */
export function hostPatternWithin(pattern: string, allowed: readonly string[]): boolean {
  const inner = parsePattern(pattern);
  return allowed.map(parsePattern).some((outer) => {
    if (outer.port !== inner.port) return false;
    if (outer.wildcard) return inner.host.endsWith('.' + outer.host);
    return !inner.wildcard && inner.host === outer.host;
  });
}
