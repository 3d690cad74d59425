import { checkRequestData, ErrorCodes, REQUEST_LIMITS } from '@mendflow/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { raw, type NextFunction, type Request, type Response } from 'express';
import { httpError } from './http-error.filter';

/**
 * What every request goes through before any route, so no route can forget it (docs/api.md, "Limits"):
 *
 * 1. A body must be JSON (`application/json`): any other type with a body is a 415, instead of a route
 *    running as if the body were empty.
 * 2. The JSON body parser, up to REQUEST_LIMITS.maxBodyBytes (413 beyond, 400 INVALID_JSON if malformed).
 * 3. The parsed body and the query: nesting deeper than REQUEST_LIMITS.maxJsonDepth is a 400 JSON_TOO_DEEP
 *    (later JSON.stringify calls would overflow the stack), and a NUL or lone surrogate in any string or
 *    key a 400 INVALID_CHARACTERS (PostgreSQL cannot store them), each naming the field.
 *
 * These run before authentication, as body parsing always did: a malformed request is refused for
 * what it is, whoever sent it.
 *
 * Webhooks (HOOKS_PATH) are the one exception: senders use any content type and sign the exact bytes,
 * so their body is kept raw, up to `webhookMaxBodyBytes`, and parsed by the hook itself
 * (apps/api/src/hooks/webhook-input.ts), which applies the same character and depth checks.
 */
export function useRequestGuards(
  app: NestExpressApplication,
  options: { webhookMaxBodyBytes: number },
): void {
  // Registered first: a body it reads is marked parsed, and the JSON parser below leaves it alone.
  app.use(HOOKS_PATH.slice(0, -1), raw({ type: () => true, limit: options.webhookMaxBodyBytes }));
  app.use(refuseOtherMediaTypes);
  app.useBodyParser('json', { limit: REQUEST_LIMITS.maxBodyBytes });
  app.use(checkParsedRequest);
}

/** Where webhook senders post (HooksController). */
export const HOOKS_PATH = '/api/v1/hooks/';

const isHook = (request: Request) => request.path.startsWith(HOOKS_PATH);

export function refuseOtherMediaTypes(request: Request, _response: Response, next: NextFunction): void {
  if (!hasBody(request) || request.is('application/json') || isHook(request)) return next();
  const type = request.headers['content-type'];
  next(
    httpError(
      415,
      ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
      type
        ? `request bodies must be application/json, not ${type.slice(0, 100)}`
        : 'request bodies must be application/json: the content-type header is missing',
    ),
  );
}

export function checkParsedRequest(request: Request, _response: Response, next: NextFunction): void {
  try {
    // Express parses the query on each read of `request.query`; routes see the same values checked here.
    checkRequestData(request.query);
    if (request.body !== undefined && !Buffer.isBuffer(request.body)) checkRequestData(request.body);
    next();
  } catch (error) {
    next(error);
  }
}

/** A body with content: chunked, or a content-length above zero (an empty body is no body). */
function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}
