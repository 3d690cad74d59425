import { readCookie, SESSION_COOKIE } from '../auth/session-cookie';

export type HandshakeCredentials = { kind: 'api_key'; token: string } | { kind: 'session'; token: string };

export interface HandshakeLike {
  auth: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The credential a Socket.IO client presented: an API key in `auth: { token }` or an `Authorization:
 * Bearer` header (non-browser clients), else the dashboard's session cookie. An explicit key wins, as on HTTP.
 */
export function handshakeCredentials(handshake: HandshakeLike): HandshakeCredentials | null {
  const token = handshake.auth.token;
  if (typeof token === 'string' && token.length > 0)
    return { kind: 'api_key', token: token.replace(/^Bearer\s+/i, '') };
  const authorization = handshake.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match?.[1]) return { kind: 'api_key', token: match[1] };
  }
  const cookie = handshake.headers.cookie;
  const session = readCookie(typeof cookie === 'string' ? cookie : undefined, SESSION_COOKIE);
  return session ? { kind: 'session', token: session } : null;
}

/**
 * A cookie-authenticated connection from a browser must come from a page of our own origin: WebSocket
 * handshakes are not subject to CORS, and a same-site page on another port would carry the SameSite=Lax
 * cookie. The page is ours when the Origin's host is the host the request was addressed to (directly, or
 * before the web server's same-origin proxy, which sets X-Forwarded-Host). Non-browser clients send no
 * Origin. (No CSRF token is asked of sockets: subscribing reads and changes nothing.)
 */
export function sameOrigin(headers: HandshakeLike['headers']): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (typeof origin !== 'string') return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  const hosts = [headers.host, headers['x-forwarded-host']]
    .flatMap((value) => (typeof value === 'string' ? value.split(',') : []))
    .map((value) => value.trim().toLowerCase());
  return hosts.includes(originHost);
}
