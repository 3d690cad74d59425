import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  createNestLogger,
  currentLogContext,
  type LogContextFields,
  logLevelOf,
  type LogLevelSetting,
  type NestJsonLogger,
  withLogContext,
} from '@mendflow/common';
import { loggableError } from '@mendflow/db';
import type { NextFunction, Request, Response } from 'express';

let installed: NestJsonLogger | undefined;

/**
 * The API's logger (docs/operations.md, "Logs"): JSON lines with `service: "api"`, database errors
 * written without their values (loggableError). Installed as Nest's logger before anything logs, so
 * boot messages and config errors are JSON too; the level is set again once LOG_LEVEL is validated.
 */
export function installApiLogger(level: LogLevelSetting = logLevelOf(process.env.LOG_LEVEL)): NestJsonLogger {
  installed ??= createNestLogger({ service: 'api', level, errorText: loggableError });
  installed.setLevel(level);
  Logger.overrideLogger(installed);
  return installed;
}

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const RUN_PATH = new RegExp(`^/api/v1/runs/(${UUID})(?:/|$)`);
const AUTOMATION_PATH = new RegExp(`^/api/v1/(?:automations|hooks)/(${UUID})(?:/|$)`);
/** Probes and scrapes answer every few seconds: their lines only at debug. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The ids a request's path names (runs/:id, automations/:id, hooks/:automationId/...). */
export function pathLogFields(path: string): LogContextFields {
  const run = RUN_PATH.exec(path)?.[1];
  const automation = AUTOMATION_PATH.exec(path)?.[1];
  return {
    ...(run && { runId: run.toLowerCase() }),
    ...(automation && { automationId: automation.toLowerCase() }),
  };
}

/** The current request's id (set by requestLogging), for the error filter's 500 reference. */
export function currentRequestId(): string | undefined {
  return currentLogContext().requestId;
}

/**
 * First of all middleware: gives the request an id (answered in `X-Request-Id`), runs the rest of the
 * request in a log context with it and the run or automation its path names, and writes one line when
 * the answer is sent: method, route pattern (`/api/v1/hooks/:automationId/:token`, never the path
 * itself, which may hold a webhook token), status and duration. The query string is never logged.
 */
export function requestLogging() {
  const logger = new Logger('Http');
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = performance.now();
    const fields: LogContextFields = { requestId: randomUUID(), ...pathLogFields(request.path) };
    response.setHeader('x-request-id', fields.requestId!);
    response.once('finish', () => {
      const route = (request.route as { path?: unknown } | undefined)?.path;
      const line = {
        ...fields,
        msg: 'request completed',
        method: request.method,
        route: typeof route === 'string' ? route : null,
        status: response.statusCode,
        durationMs: Math.round(performance.now() - started),
      };
      // 'finish' fires outside the request's async context: the fields are passed along explicitly.
      if (QUIET_PATHS.has(request.path)) logger.debug(line);
      else logger.log(line);
    });
    withLogContext(fields, next);
  };
}
