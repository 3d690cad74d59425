import { compileHostPatterns } from '@mendflow/common';
import type { StaticPrefix } from './analysis/static-string';

/** What the visible part of a ctx.fetch URL tells about where the request goes. */
export type FetchTarget =
  | { kind: 'url'; url: URL }
  /** The URL can never work: not absolute, or not http(s). */
  | { kind: 'invalid'; reason: string }
  /** Not enough of the URL is visible to say (`` `https://${host}/x` ``, `base + path`). */
  | { kind: 'unknown' };

const scheme = /^([a-z][a-z0-9+.-]*):/i;
/** A scheme and an authority ended by `/`, `?` or `#`: the host is fully written out. */
const schemeAndAuthority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*[/?#\\]/i;

export function fetchTarget(prefix: StaticPrefix): FetchTarget {
  const text = prefix.text.trim();
  if (prefix.complete) {
    if (!scheme.test(text))
      return {
        kind: 'invalid',
        reason: 'is not an absolute URL (there is no base URL to resolve it against)',
      };
    return checkScheme(URL.parse(text));
  }
  const authority = schemeAndAuthority.exec(text);
  if (authority) return checkScheme(URL.parse(authority[0]));
  // The host is still open (`https://api.example.com${rest}` could go on with `.evil.com`), so only a
  // wrong scheme can be judged.
  const written = scheme.exec(text)?.[1]?.toLowerCase();
  if (written && !isHttp(`${written}:`)) return wrongScheme(`${written}:`);
  return { kind: 'unknown' };
}

function checkScheme(url: URL | null): FetchTarget {
  if (!url) return { kind: 'invalid', reason: 'is not a valid URL' };
  return isHttp(url.protocol) ? { kind: 'url', url } : wrongScheme(url.protocol);
}

function isHttp(protocol: string): boolean {
  return protocol === 'http:' || protocol === 'https:';
}

function wrongScheme(protocol: string): FetchTarget {
  return {
    kind: 'invalid',
    reason: `has the scheme "${protocol}", but ctx.fetch only fetches http: and https: URLs`,
  };
}

/**
 * Whether `url` is allowed by `manifest.permissions.hosts`. A pattern is `host`, `*.domain` (any
 * subdomain at any depth, not the domain itself) and optionally `:port`. Without a port a pattern only
 * allows the scheme's default port, so `api.example.com` does not open `api.example.com:8080`.
 */
/** The sandbox's own matcher (from @mendflow/common), so lint and runtime can never disagree. */
export function hostAllowed(url: URL, patterns: readonly string[]): boolean {
  return compileHostPatterns(patterns)(url);
}

/** How to name the target in a message and in manifest.permissions.hosts: `host` or `host:port`. */
export function hostEntry(url: URL): string {
  return url.host.replace(/\.(?=:|$)/, '');
}
