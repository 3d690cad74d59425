import { NextResponse, type NextRequest } from 'next/server';
import { generateNonce, HSTS, pageContentSecurityPolicy } from './lib/security-headers';

/**
 * Same-origin API: the browser only ever talks to the web server, which forwards `/api/*` (REST,
 * OpenAPI) and `/socket.io/*` (Socket.IO polling and WebSocket upgrades) to the Mendflow API.
 *
 * The target is read from `API_URL` on every request, at run time, so one image works anywhere
 * (`http://api:4000` in docker compose, `http://127.0.0.1:4000` by default). It is deliberately not a
 * `rewrites()` entry in next.config, whose destinations are fixed when `next build` runs. A rewrite to
 * an absolute URL makes the Next.js server proxy the request itself (headers such as Authorization and
 * cookies, the body, and WebSocket upgrades pass through; verified with next build + next start).
 * X-Forwarded-For/-Proto/-Host are set by the front door (front-door/), from what this server saw, and
 * the front door also keeps the rewrite target (x-middleware-rewrite) from reaching the browser.
 *
 * Every other request is a page: it gets its Content-Security-Policy here, with a fresh nonce.
 */
const DEFAULT_API_URL = 'http://127.0.0.1:4000';

function apiBase(): URL {
  const raw = process.env.API_URL?.trim() || DEFAULT_API_URL;
  try {
    return new URL(raw);
  } catch {
    throw new Error(`API_URL is not a valid URL: ${raw}`);
  }
}

const isProxied = (pathname: string) =>
  pathname === '/api' ||
  pathname.startsWith('/api/') ||
  pathname === '/socket.io' ||
  pathname.startsWith('/socket.io/');

export function proxy(request: NextRequest) {
  // request.url is the URL as received (skipProxyUrlNormalize): Socket.IO needs its trailing slash.
  const incoming = new URL(request.url);
  if (isProxied(incoming.pathname)) {
    const base = apiBase();
    const target = new URL(base.href);
    // Keep any path prefix of API_URL (e.g. http://gateway/mendflow) in front of the request's path.
    target.pathname = base.pathname.replace(/\/+$/, '') + incoming.pathname;
    target.search = incoming.search;
    return NextResponse.rewrite(target);
  }

  const https = request.headers.get('x-forwarded-proto') === 'https';
  const nonce = generateNonce();
  const policy = pageContentSecurityPolicy({ nonce, dev: process.env.NODE_ENV === 'development', https });
  // Next.js reads the nonce from the request's CSP header; the root layout reads x-nonce.
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  if (https) response.headers.set('strict-transport-security', HSTS);
  return response;
}

export const config = {
  matcher: [
    '/api/:path*',
    '/socket.io/:path*',
    // Pages: everything but the build's static files, the icon and the health check.
    '/((?!_next/static|_next/image|icon\\.svg|favicon\\.ico|healthz).*)',
  ],
};
