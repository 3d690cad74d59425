import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { telemetryEnabled, tracer } from '@mendflow/telemetry';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * One SERVER span per HTTP request, continuing the caller's W3C trace context (traceparent header)
 * when it sends one. Mounted first, so every later middleware, guard and handler runs inside it: the
 * request and response emitters are bound to the span's context, since a body read from the socket
 * would otherwise resume in the connection's context rather than the request's.
 *
 * Named `<METHOD> <route template>` once Express matched a route (never the raw path: webhook and
 * approval URLs carry tokens); no query, header or body value is recorded. With tracing off the
 * middleware only calls next().
 */
export function httpTracing(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!telemetryEnabled()) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers satisfies IncomingHttpHeaders);
    const span = tracer.startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.scheme': req.protocol,
          'network.protocol.version': req.httpVersion,
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      // Set by Express once a route matched (req.baseUrl is the mount point of a sub-router).
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      if (typeof routePath === 'string') {
        const route = `${req.baseUrl}${routePath}`;
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('http.request.aborted', true);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    const active = trace.setSpan(parent, span);
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
