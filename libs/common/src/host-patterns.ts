/**
 * Matches a URL against the manifest's `permissions.hosts`: `api.example.com` (that host only),
 * `*.example.com` (any subdomain at any depth, not the apex), each optionally with `:port`. A pattern
 * without a port allows the scheme's default port only, so `api.example.com` never opens
 * `api.example.com:6379`. Comparison happens on the URL parser's normalized host, so spellings like
 * `API.Example.com.` or `http://2130706433/` are judged by what they really address.
 */

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
