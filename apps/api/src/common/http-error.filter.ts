import { randomUUID } from 'node:crypto';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { DomainError, ErrorCodes, type ErrorKind } from '@mendflow/common';
import { isDatabaseUnavailable, loggableError } from '@mendflow/db';
import { isRedisUnavailable } from '@mendflow/queue';
import type { Request, Response } from 'express';
import { allowedMethods, type RouteLayer } from './allowed-methods';
import { currentRequestId } from './logging';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: ErrorCodes.BAD_REQUEST,
  401: ErrorCodes.UNAUTHENTICATED,
  403: 'FORBIDDEN',
  404: ErrorCodes.NOT_FOUND,
  405: ErrorCodes.METHOD_NOT_ALLOWED,
  408: 'REQUEST_TIMEOUT',
  413: ErrorCodes.PAYLOAD_TOO_LARGE,
  415: ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

const MAX_ECHOED_URL = 200;

/** Seconds a client is asked to wait before retrying a request refused while a dependency is down. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

type Answer = { status: number; body: ErrorBody; headers?: Record<string, string> };

/**
 * An error already in the envelope, for the HTTP layer's own refusals (415, 405, readiness details):
 * the filter sends it as it is.
 */
export function httpError(status: number, code: string, message: string, details?: unknown): HttpException {
  return new HttpException({ error: { code, message, ...(details !== undefined && { details }) } }, status);
}

/**
 * The one place errors become HTTP responses: `{ error: { code, message, details } }`. Domain errors
 * keep their code; framework errors (unknown route or method, malformed JSON, an undecodable path) get
 * a stable one; PostgreSQL or Redis out of reach is 503 SERVICE_UNAVAILABLE (the server is fine, a
 * dependency is not: the client retries, readiness says not ready meanwhile); anything else is a bug:
 * logged with a request id (database errors without the values they carry, see loggableError),
 * answered 500 with only that id.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const { status, body, headers } = this.toResponse(exception, http.getRequest<Request | undefined>());
    if (response.headersSent) {
      // Too late for an answer of our own: end what was started (the error is logged above if it was a bug).
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
    response.status(status).json(body);
  }

  private toResponse(exception: unknown, request: Request | undefined): Answer {
    if (exception instanceof DomainError) {
      return {
        status: STATUS_BY_KIND[exception.kind],
        body: { error: { code: exception.code, message: exception.message, details: exception.details } },
      };
    }
    const dependency = isDatabaseUnavailable(exception)
      ? 'PostgreSQL'
      : isRedisUnavailable(exception)
        ? 'Redis'
        : undefined;
    if (dependency) {
      // Expected while a dependency restarts: a warning without a stack, never the query's values.
      this.logger.warn(
        `request refused, ${dependency} is unavailable: ${loggableError(exception).split('\n')[0]}`,
      );
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: {
          error: {
            code: ErrorCodes.SERVICE_UNAVAILABLE,
            message: `${dependency} is unavailable; retry in a few seconds`,
            details: { dependency: dependency.toLowerCase() },
          },
        },
        headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
      };
    }
    // Express's body parser errors arrive wrapped by Nest (an HttpException whose cause is the original).
    const parserError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(parserError)) return bodyParserAnswer(parserError);
    if (exception instanceof NotFoundException && request && isUnknownRoute(exception, request)) {
      return unknownRouteAnswer(request);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      if (isEnvelope(payload)) return { status, body: payload }; // already in our envelope
      if (status < 500) {
        const code = CODE_BY_STATUS[status] ?? ErrorCodes.BAD_REQUEST;
        const message =
          status === 401
            ? 'a valid API key or session is required'
            : exception.cause instanceof URIError
              ? `the path holds an undecodable %-escape: ${exception.cause.message}`
              : exception.message;
        return { status, body: { error: { code, message } } };
      }
    }
    // The id the request's log lines carry (logging.ts), so the reference leads to all of them.
    const requestId = currentRequestId() ?? randomUUID();
    this.logger.error(`request ${requestId} failed`, loggableError(exception));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        error: { code: ErrorCodes.INTERNAL, message: `internal error; reference ${requestId}`, requestId },
      },
    };
  }
}

/** Errors thrown by Express's body parser (raw-body, http-errors) carry `type` and a 4xx `status`. */
function isBodyParserError(
  error: unknown,
): error is { type: string; status: number; message: string; limit?: unknown } {
  if (typeof error !== 'object' || error === null) return false;
  const { type, status } = error as { type?: unknown; status?: unknown };
  return typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500;
}

function bodyParserAnswer(error: { type: string; status: number; message: string; limit?: unknown }): Answer {
  switch (error.type) {
    case 'entity.parse.failed':
      return answer(400, ErrorCodes.INVALID_JSON, 'the request body is not valid JSON');
    case 'entity.too.large':
      return answer(
        413,
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `the request body is larger than ${typeof error.limit === 'number' ? `${error.limit} bytes` : 'the limit'}`,
      );
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return answer(415, ErrorCodes.UNSUPPORTED_MEDIA_TYPE, error.message);
    default:
      return answer(error.status, CODE_BY_STATUS[error.status] ?? ErrorCodes.BAD_REQUEST, error.message);
  }
}

function answer(status: number, code: string, message: string): Answer {
  return { status, body: { error: { code, message } } };
}

/** Nest's handler for requests no route matched throws exactly this. */
function isUnknownRoute(exception: NotFoundException, request: Request): boolean {
  return exception.message === `Cannot ${request.method} ${request.originalUrl}`;
}

/**
 * 405 with `Allow` when the path exists with other methods (an OPTIONS preflight included: this API
 * serves no cross-origin callers), else 404.
 */
function unknownRouteAnswer(request: Request): Answer {
  const url =
    request.originalUrl.length > MAX_ECHOED_URL
      ? `${request.originalUrl.slice(0, MAX_ECHOED_URL)}…`
      : request.originalUrl;
  const stack = (request.app as { router?: { stack?: RouteLayer[] } } | undefined)?.router?.stack ?? [];
  const allow = allowedMethods(stack, request.path);
  if (allow.length === 0) return answer(404, ErrorCodes.NOT_FOUND, `no route ${request.method} ${url}`);
  const preflight = request.method === 'OPTIONS';
  const message = preflight
    ? `${url} answers no CORS preflight: call it from the dashboard's own origin, or from a server with an API key`
    : `${request.method} is not allowed on ${url}; it takes ${allow.join(', ')}`;
  return {
    status: 405,
    body: { error: { code: ErrorCodes.METHOD_NOT_ALLOWED, message, details: { allow } } },
    headers: { allow: allow.join(', ') },
  };
}

function isEnvelope(payload: unknown): payload is ErrorBody {
  if (typeof payload !== 'object' || payload === null) return false;
  const error = (payload as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
