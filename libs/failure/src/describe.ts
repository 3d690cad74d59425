/**
 * Turns errors and counts into the words of a reason. A reason is read by a person scanning the inbox,
 * so V8's common messages are rephrased in terms of what the script did, with the raw name and location
 * kept in parentheses for whoever opens the script.
 */
import type { AttemptError } from '@mendflow/sandbox';

const NUMBER_WORDS = ['', 'once', 'twice', 'three times', 'four times', 'five times', 'six times'];

export function times(count: number): string {
  return NUMBER_WORDS[count] ?? `${count} times`;
}

/** " three times" after a repeated outcome, nothing after a single one ("answered 401", not "… once"). */
export function repeated(count: number): string {
  return count > 1 ? ` ${times(count)}` : '';
}

/** Keeps reasons one line long and evidence bounded, whatever a script put in its message. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

export function errorName(error: AttemptError): string {
  return typeof error.name === 'string' && error.name ? error.name : 'Error';
}

export function errorMessage(error: AttemptError): string {
  return typeof error.message === 'string' ? error.message : String(error.message ?? '');
}

/** "TypeError at script.js:4:17", or just "TypeError" when the sandbox could not place it. */
export function nameAt(error: AttemptError): string {
  return error.location ? `${errorName(error)} at ${error.location}` : errorName(error);
}

const PHRASES: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [
    /Cannot read propert(?:y|ies) of (undefined|null) \(reading '([^']*)'\)/,
    (m) => `script read property '${m[2]}' of ${m[1]}`,
  ],
  [
    /Cannot read propert(?:y|ies) '([^']*)' of (undefined|null)/,
    (m) => `script read property '${m[1]}' of ${m[2]}`,
  ],
  [
    /Cannot set propert(?:y|ies) of (undefined|null) \(setting '([^']*)'\)/,
    (m) => `script set property '${m[2]}' on ${m[1]}`,
  ],
  [/^(\S+) is not a function/, (m) => `script called ${m[1]}, which is not a function`],
  [/^(\S+) is not iterable/, (m) => `script iterated over ${m[1]}, which is not iterable`],
  [/^(\S+) is not defined/, (m) => `script used ${m[1]}, which is not defined`],
  [/Maximum call stack size exceeded/, () => 'script recursed too deeply (stack overflow)'],
];

/**
 * "script read property 'name' of undefined (TypeError at script.js:4:17)" for messages V8 words the
 * same way every time; otherwise the raw "TypeError at script.js:4:17: <message>".
 */
export function describeScriptError(error: AttemptError): string {
  const message = errorMessage(error);
  for (const [pattern, phrase] of PHRASES) {
    const match = pattern.exec(message);
    if (match) return `${phrase(match)} (${nameAt(error)})`;
  }
  return message ? `${nameAt(error)}: ${truncate(message, 160)}` : nameAt(error);
}

/** The error part of every classification's evidence; undefined fields are left out. */
export function errorEvidence(error: AttemptError): Record<string, unknown> {
  return compact({
    name: errorName(error),
    message: truncate(errorMessage(error), 1000),
    code: error.code,
    location: error.location,
    limit: error.limit,
    declaredClass: error.declaredClass,
  });
}

/** Drops undefined values so stored evidence has no keys that mean nothing. */
export function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export function seconds(ms: number): string {
  // One decimal, without a trailing ".0": "0.3 s", "29.5 s", "30 s".
  return `${Number((ms / 1000).toFixed(1))} s`;
}
