import { randomUUID } from 'node:crypto';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { DomainError, type ErrorKind } from '@mendflow/common';
import type { Response } from 'express';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/**
 * The one place errors become HTTP responses: `{ error: { code, message, details } }`. Domain errors
 * keep their code; framework errors (unknown route, malformed JSON) get a stable one; anything else is
 * a bug: logged with a request id, answered 500 with only that id.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toResponse(exception);
    response.status(status).json(body);
  }

  private toResponse(exception: unknown): [number, ErrorBody] {
    if (exception instanceof DomainError) {
      return [
        STATUS_BY_KIND[exception.kind],
        { error: { code: exception.code, message: exception.message, details: exception.details } },
      ];
    }
    // Express's body parser errors arrive wrapped by Nest (an HttpException whose cause is the original).
    const parserError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(parserError)) {
      const status = parserError.status;
      const code =
        parserError.type === 'entity.parse.failed'
          ? 'INVALID_JSON'
          : (CODE_BY_STATUS[status] ?? 'BAD_REQUEST');
      const message =
        parserError.type === 'entity.parse.failed'
          ? 'the request body is not valid JSON'
          : parserError.message;
      return [status, { error: { code, message } }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      if (typeof payload === 'object' && payload !== null && 'error' in payload) {
        return [status, payload as ErrorBody]; // already in our envelope (e.g. readiness details)
      }
      if (status < 500) {
        const code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
        const message = status === 401 ? 'a valid API key or session is required' : exception.message;
        return [status, { error: { code, message } }];
      }
    }
    const requestId = randomUUID();
    this.logger.error(
      `request ${requestId} failed`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      { error: { code: 'INTERNAL', message: `internal error; reference ${requestId}`, requestId } },
    ];
  }
}

/** Errors thrown by Express's body parser carry `type` and `status` (http-errors). */
function isBodyParserError(error: unknown): error is { type: string; status: number; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { type?: unknown }).type === 'string' &&
    (error as { type: string }).type.startsWith('entity.') &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}
