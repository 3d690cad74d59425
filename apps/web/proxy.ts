import { NextResponse, type NextRequest } from 'next/server';

/**
 * Same-origin API: the browser only ever talks to the web server, which forwards `/api/*` (REST,
 * OpenAPI) and `/socket.io/*` (Socket.IO polling and WebSocket upgrades) to the Mendflow API.
 *
 * The target is read from `API_URL` on every request, at run time, so one image works anywhere
 * (`http://api:4000` in docker compose, `http://127.0.0.1:4000` by default). It is deliberately not a
 * `rewrites()` entry in next.config, whose destinations are fixed when `next build` runs. A rewrite to
 * an absolute URL makes the Next.js server proxy the request itself (headers such as Authorization and
 * cookies, the body, and WebSocket upgrades pass through; verified with next build + next start).
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

export function proxy(request: NextRequest) {
  const base = apiBase();
  const target = new URL(base.href);
  // Keep any path prefix of API_URL (e.g. http://gateway/mendflow) in front of the request's path.
  // request.url is the URL as received (skipProxyUrlNormalize): Socket.IO needs its trailing slash.
  const incoming = new URL(request.url);
  target.pathname = base.pathname.replace(/\/+$/, '') + incoming.pathname;
  target.search = incoming.search;
  // Next.js adds x-forwarded-host/-port/-proto/-for when it proxies.
  return NextResponse.rewrite(target);
}

export const config = {
  matcher: ['/api/:path*', '/socket.io/:path*'],
};
