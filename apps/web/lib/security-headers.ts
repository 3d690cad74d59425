/**
 * The dashboard's security headers. Pages get a Content-Security-Policy with a fresh nonce per
 * response (proxy.ts): Next.js puts it on its own scripts (it reads the nonce back from the request's
 * CSP header), the root layout on Mantine's color-scheme script and style tags. Everything else
 * comes from the web's own origin. The API's answers carry the API's headers (helmet).
 */

export interface PagePolicyOptions {
  nonce: string;
  /** `next dev`: React needs eval for its debugging, and hot reloading injects styles without a nonce. */
  dev: boolean;
  /** Served over HTTPS: sub-resources must be too. */
  https: boolean;
}

export function pageContentSecurityPolicy({ nonce, dev, https }: PagePolicyOptions): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    // 'strict-dynamic': the nonce'd scripts may load Next.js's chunks; 'self' is for older browsers.
    'script-src': ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    // <style> and <link rel=stylesheet>: our own files and Mantine's nonce'd tags.
    'style-src-elem': ["'self'", dev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    // style="…" attributes (Mantine's CSS variables, Recharts' layout): no script can run from them.
    'style-src-attr': ["'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    // fetch('/api/…') and Socket.IO (ws(s):// to this origin, which 'self' covers).
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(https && { 'upgrade-insecure-requests': [] }),
  };
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(' '))
    .join('; ');
}

/** Strict-Transport-Security, sent only on answers to HTTPS requests. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** On every answer of the web server itself (pages, static files), not on the API's (proxied) ones. */
export const STATIC_SECURITY_HEADERS: { key: string; value: string }[] = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
];

/** A fresh 128-bit nonce, base64 (Web Crypto: proxy.ts may run where node:crypto is absent). */
export function generateNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
