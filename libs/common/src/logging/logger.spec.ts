import { Writable } from 'node:stream';
import { trace, type SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { addLogContext, currentLogContext, withLogContext } from './log-context';
import { createLogger, LOG_REDACTED, logLevelOf, type LogLevelSetting } from './logger';
import { createNestLogger } from './nest-logger';

/** A destination that keeps every line written, parsed. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, lines, json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function nest(level: LogLevelSetting = 'debug', errorText?: (error: unknown) => string) {
  const out = capture();
  const logger = createNestLogger({ service: 'worker', level, destination: out.destination, errorText });
  return { logger, ...out };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, service and msg', () => {
    const out = capture();
    const logger = createLogger({ service: 'api', level: 'info', destination: out.destination });
    logger.info('hello');
    logger.child({ context: 'Boot' }).warn({ port: 4000 }, 'listening\non two lines');
    expect(out.lines).toHaveLength(2);
    const [first, second] = out.json();
    expect(first).toMatchObject({ level: 'info', service: 'api', msg: 'hello' });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    expect(second).toMatchObject({
      level: 'warn',
      context: 'Boot',
      port: 4000,
      msg: 'listening\non two lines',
    });
  });

  it('drops lines below LOG_LEVEL', () => {
    const out = capture();
    const logger = createLogger({ service: 'api', level: 'warn', destination: out.destination });
    logger.info('not this');
    logger.debug('nor this');
    logger.error('this');
    expect(out.json().map((line) => line.msg)).toEqual(['this']);
  });

  it('redacts sensitive keys at any of the first four levels, keeping the rest', () => {
    const out = capture();
    const logger = createLogger({ service: 'api', level: 'info', destination: out.destination });
    logger.info(
      {
        password: 'hunter2-top',
        headers: { authorization: 'Bearer mf_abc', cookie: 'sid=1', 'x-api-key': 'k-1', accept: 'json' },
        body: { user: { apiKey: 'k-2', token: 't-1', name: 'Ada' } },
        secret: { name: 'API_TOKEN', value: 's3cr3t-value' },
        config: { DATABASE_URL: 'postgresql://u:pw@db/x', PORT: 4000 },
      },
      'request',
    );
    const line = out.lines[0]!;
    for (const value of ['hunter2-top', 'mf_abc', 'sid=1', 'k-1', 'k-2', 't-1', 's3cr3t-value', 'u:pw']) {
      expect(line).not.toContain(value);
    }
    expect(JSON.parse(line)).toMatchObject({
      password: LOG_REDACTED,
      headers: {
        authorization: LOG_REDACTED,
        cookie: LOG_REDACTED,
        'x-api-key': LOG_REDACTED,
        accept: 'json',
      },
      body: { user: { apiKey: LOG_REDACTED, token: LOG_REDACTED, name: 'Ada' } },
      secret: LOG_REDACTED,
      config: { DATABASE_URL: LOG_REDACTED, PORT: 4000 },
    });
  });

  it("redacts inside arrays and the log context too, never changing the caller's object", async () => {
    const out = capture();
    const logger = createLogger({ service: 'api', level: 'info', destination: out.destination });
    const logged = { items: [{ token: 't-9', id: 1 }], deep: { a: { b: { password: 'p-4' } } } };
    await withLogContext({ requestId: 'r-1', secretValue: 'ctx-secret' } as never, async () => {
      logger.info(logged, 'listed');
    });
    expect(out.lines[0]).not.toContain('t-9');
    expect(out.lines[0]).not.toContain('p-4');
    expect(out.lines[0]).not.toContain('ctx-secret');
    expect(out.json()[0]).toMatchObject({ items: [{ token: LOG_REDACTED, id: 1 }], requestId: 'r-1' });
    expect(logged.items[0]!.token).toBe('t-9');
    expect(logged.deep.a.b.password).toBe('p-4');
  });

  it('writes errors through errorText', () => {
    const out = capture();
    const logger = createLogger({
      service: 'api',
      level: 'info',
      destination: out.destination,
      errorText: (error) => `safe: ${(error as Error).name}`,
    });
    logger.error({ err: new Error('values "private@example.com"') }, 'failed');
    expect(out.json()[0]).toMatchObject({ err: 'safe: Error', msg: 'failed' });
    expect(out.lines[0]).not.toContain('private@example.com');
  });

  it('adds traceId and spanId only while a valid span is active', () => {
    const out = capture();
    const logger = createLogger({ service: 'worker', level: 'info', destination: out.destination });
    const spanContext: SpanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    // No context manager is registered here (the tracing SDK brings one), so the active span is
    // stood in for: what the logger relies on is only what trace.getActiveSpan answers.
    const getActiveSpan = trace.getActiveSpan;
    trace.getActiveSpan = () => trace.wrapSpanContext(spanContext);
    try {
      logger.info('inside');
      trace.getActiveSpan = () => trace.wrapSpanContext({ ...spanContext, traceId: '0'.repeat(32) });
      logger.info('invalid span');
    } finally {
      trace.getActiveSpan = getActiveSpan;
    }
    logger.info('outside');
    const [inside, invalid, outside] = out.json();
    expect(inside).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId });
    expect(invalid).not.toHaveProperty('traceId');
    expect(outside).not.toHaveProperty('traceId');
  });

  it('takes LOG_LEVEL as given, info when unset or unknown', () => {
    expect(logLevelOf('debug')).toBe('debug');
    expect(logLevelOf(undefined)).toBe('info');
    expect(logLevelOf('loud')).toBe('info');
  });
});

describe('log context', () => {
  it('puts the run fields on every line written inside, across awaits, and only there', async () => {
    const { logger, json } = nest();
    const runId = '6f1c2a9e-0000-4000-8000-000000000001';
    await withLogContext({ runId, attempt: 2, workspaceId: 'w-1' }, async () => {
      logger.log('started', 'RunExecutor');
      await new Promise((resolve) => setTimeout(resolve, 1));
      addLogContext({ automationId: 'a-1', jobId: undefined });
      await Promise.resolve();
      logger.warn('slow host call', 'HostServices');
      await withLogContext({ attempt: 3 }, async () => logger.log('nested', 'RunExecutor'));
      expect(currentLogContext()).toEqual({ runId, attempt: 2, workspaceId: 'w-1', automationId: 'a-1' });
    });
    logger.log('after', 'RunProcessor');
    addLogContext({ runId: 'ignored outside' });
    logger.log('still after', 'RunProcessor');
    const [started, slow, nested, after, stillAfter] = json();
    expect(started).toMatchObject({ context: 'RunExecutor', runId, attempt: 2, workspaceId: 'w-1' });
    expect(started).not.toHaveProperty('automationId');
    expect(slow).toMatchObject({ context: 'HostServices', runId, attempt: 2, automationId: 'a-1' });
    expect(nested).toMatchObject({ runId, attempt: 3 });
    for (const line of [after, stillAfter]) {
      expect(line).not.toHaveProperty('runId');
      expect(line).not.toHaveProperty('attempt');
    }
  });

  it('keeps concurrent contexts apart', async () => {
    const { logger, json } = nest();
    const attempt = (runId: string, delay: number) =>
      withLogContext({ runId, attempt: 1 }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        logger.log(`done ${runId}`, 'RunExecutor');
      });
    await Promise.all([attempt('r-a', 5), attempt('r-b', 1)]);
    for (const line of json()) expect(line.msg).toBe(`done ${line.runId as string}`);
  });
});

describe('NestJsonLogger', () => {
  it('reads the context, the stack and an object message the way Nest passes them', () => {
    const { logger, json } = nest('debug', (error) => `text of ${(error as Error).message}`);
    logger.log('listening on :4000', 'Api'); // new Logger('Api').log(...)
    logger.error('request 1 failed', 'Error: boom\n    at x (y.js:1:1)', 'HttpError');
    logger.error('no stack', undefined, 'HttpError'); // new Logger('HttpError').error('no stack')
    logger.error('stack only', 'Error: boom\n    at x (y.js:1:1)'); // the static Logger.error
    logger.warn({ msg: 'deferred', jobId: '7', password: 'pw-1' }, 'RunProcessor');
    logger.error(new Error('db said "private"'), 'RunExecutor');
    logger.verbose('too detailed', 'Any');
    logger.debug(42, 'Numbers');
    const lines = json();
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'worker',
      context: 'Api',
      msg: 'listening on :4000',
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      context: 'HttpError',
      err: 'Error: boom\n    at x (y.js:1:1)',
    });
    expect(lines[2]).toMatchObject({ level: 'error', context: 'HttpError', msg: 'no stack' });
    expect(lines[2]).not.toHaveProperty('err');
    expect(lines[3]).toMatchObject({ msg: 'stack only', err: 'Error: boom\n    at x (y.js:1:1)' });
    expect(lines[3]).not.toHaveProperty('context');
    expect(lines[4]).toMatchObject({ level: 'warn', context: 'RunProcessor', msg: 'deferred', jobId: '7' });
    expect(lines[4]!.password).toBe(LOG_REDACTED);
    expect(lines[5]).toMatchObject({ context: 'RunExecutor', msg: 'text of db said "private"' });
    expect(lines[6]).toMatchObject({ level: 'debug', context: 'Numbers', msg: '42' });
  });

  it('applies the level set after the configuration is read', () => {
    const { logger, json } = nest('info');
    logger.debug('hidden', 'Boot');
    logger.setLevel('debug');
    logger.debug('shown', 'Boot');
    logger.setLevel('error');
    logger.warn('hidden too', 'Boot');
    expect(json().map((line) => line.msg)).toEqual(['shown']);
  });
});
