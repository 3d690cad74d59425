import { Logger } from '@nestjs/common';
import { createNestLogger, logLevelOf, type LogLevelSetting, type NestJsonLogger } from '@mendflow/common';
import { loggableError } from '@mendflow/db';

let installed: NestJsonLogger | undefined;

/**
 * The worker's logger (docs/operations.md, "Logs"): JSON lines with `service: "worker"`, database
 * errors written without their values (loggableError). Installed as Nest's logger before anything
 * logs; the level is set again once LOG_LEVEL is validated.
 */
export function installWorkerLogger(
  level: LogLevelSetting = logLevelOf(process.env.LOG_LEVEL),
): NestJsonLogger {
  installed ??= createNestLogger({ service: 'worker', level, errorText: loggableError });
  installed.setLevel(level);
  Logger.overrideLogger(installed);
  return installed;
}
