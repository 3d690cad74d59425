import type { Logger, Level } from 'pino';
import { createLogger, defaultErrorText, type LoggerOptions, type LogLevelSetting } from './logger';

/**
 * Nest's LoggerService over pino, structurally (this library does not depend on Nest): handed to
 * NestFactory and Logger.overrideLogger, so every `new Logger('Name')` of the apps, and Nest's own
 * boot messages, become JSON lines with `context` set to that name.
 *
 * Nest calls `log(message, ...params, context)` and `error(message, stack?, ..., context)`: the
 * context is the last string argument. A message may be a string, an Error (written as `err`
 * through errorText) or a plain object whose fields are added to the line (`msg` or `message` is
 * its text).
 */
export class NestJsonLogger {
  constructor(
    readonly pino: Logger,
    private readonly errorText: (error: unknown) => string = defaultErrorText,
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params, false);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params, false);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params, false);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params, false);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  /** LOG_LEVEL, applied once the configuration is read (the logger exists before, for boot errors). */
  setLevel(level: LogLevelSetting): void {
    this.pino.level = level;
  }

  private write(level: Level, message: unknown, params: unknown[], withStack: boolean): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const fields: Record<string, unknown> = {};
    const context = takeContext(rest, withStack);
    if (context) fields.context = context;
    if (withStack && rest.length > 0) {
      const stack = rest.shift();
      if (stack !== undefined && stack !== null) fields.err = errorField(stack, this.errorText);
    }
    const extra = rest.filter((value) => value !== undefined);
    if (extra.length > 0) fields.params = extra.map((value) => safeValue(value, this.errorText));
    let msg: string;
    if (message instanceof Error) {
      const text = this.errorText(message);
      fields.err ??= text;
      msg = text.split('\n', 1)[0]!;
    } else if (message !== null && typeof message === 'object' && !Array.isArray(message)) {
      const { msg: text, message: alt, ...others } = message as Record<string, unknown>;
      for (const [key, value] of Object.entries(others)) fields[key] = safeValue(value, this.errorText);
      msg = typeof text === 'string' ? text : typeof alt === 'string' ? alt : '';
    } else {
      msg = typeof message === 'string' ? message : (JSON.stringify(message) ?? String(message));
    }
    this.pino[level](fields, msg);
  }
}

/**
 * The context Nest appends. For error/fatal a lone argument is the stack when it looks like one
 * (Nest's own ConsoleLogger makes the same call), otherwise the context.
 */
function takeContext(rest: unknown[], withStack: boolean): string | undefined {
  const last = rest.at(-1);
  if (typeof last !== 'string') {
    if (last === undefined && rest.length > 0) rest.pop();
    return undefined;
  }
  if (withStack && rest.length === 1 && /\n\s+at /.test(last)) return undefined;
  rest.pop();
  return last;
}

function errorField(value: unknown, errorText: (error: unknown) => string): string {
  return typeof value === 'string' ? value : errorText(value);
}

function safeValue(value: unknown, errorText: (error: unknown) => string): unknown {
  return value instanceof Error ? errorText(value) : value;
}

/** A NestJsonLogger with its own pino logger (createLogger). */
export function createNestLogger(options: LoggerOptions): NestJsonLogger {
  return new NestJsonLogger(createLogger(options), options.errorText);
}
