import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The fields a log line inherits from the work it was written during: an HTTP request (requestId,
 * and the run or automation its path names) or a run attempt being processed by the worker. A closed
 * set of identifiers on purpose: nothing user-supplied or secret can ride along on every line.
 */
export interface LogContextFields {
  requestId?: string;
  runId?: string;
  attempt?: number;
  automationId?: string;
  workspaceId?: string;
  /** The BullMQ job being processed, when that is not a run attempt (a repair, a notification). */
  jobId?: string;
}

const storage = new AsyncLocalStorage<LogContextFields>();

/**
 * Runs `fn` with `fields` added to every line logged inside it, across awaits, timers and callbacks
 * started within. Nested contexts inherit the outer fields; the inner ones win.
 */
export function withLogContext<T>(fields: LogContextFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...defined(fields) }, fn);
}

/**
 * Adds fields to the current context once they are known (the automation of a run, after it was
 * loaded). Outside any context it does nothing: there is no work to attach them to.
 */
export function addLogContext(fields: LogContextFields): void {
  const store = storage.getStore();
  if (store) Object.assign(store, defined(fields));
}

/** The fields of the current context (a copy), empty outside any. */
export function currentLogContext(): LogContextFields {
  return { ...storage.getStore() };
}

function defined(fields: LogContextFields): LogContextFields {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as LogContextFields;
}
