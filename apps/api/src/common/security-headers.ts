import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** The API answers JSON: its documents may load nothing, be framed by no one, and submit nowhere. */
export const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The OpenAPI explorer (Swagger UI at /api/docs): its own scripts and styles (some inline) only. */
export const DOCS_CSP = {
  ...API_CSP,
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
};

const HSTS = helmet.strictTransportSecurity({ maxAge: 365 * 24 * 60 * 60, includeSubDomains: true });

function withPolicy(directives: Record<string, string[]>): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    // Only over HTTPS (below): sent over plain HTTP it would be ignored, or worse, be wrong.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * Helmet's headers on every HTTP answer (nosniff, no framing, no referrer, a strict CSP...), and
 * Strict-Transport-Security when the request came over HTTPS: `request.secure`, which believes
 * X-Forwarded-Proto only from a proxy TRUST_PROXY names.
 */
export function securityHeaders(): RequestHandler {
  const api = withPolicy(API_CSP);
  const docs = withPolicy(DOCS_CSP);
  return (request: Request, response: Response, next: NextFunction) => {
    const forDocs = request.path === '/api/docs' || request.path.startsWith('/api/docs/');
    (forDocs ? docs : api)(request, response, (error?: unknown) => {
      if (error) return next(error);
      if (request.secure) return HSTS(request, response, next);
      next();
    });
  };
}
