/**
 * Turning what the isolate reports into an AttemptError: the script's own stack frames only (never a
 * frame of the bootstrap or the host), and the location of the innermost one, in the user's source
 * coordinates (the module is compiled as-is, with no wrapper, so V8's numbers are the user's).
 */
import { SCRIPT_FILENAME } from './bootstrap';
import type { AttemptError, AttemptResult } from './types';

const MAX_NAME = 200;
const MAX_MESSAGE = 4000;
const MAX_STACK = 16_000;
const FRAME = /^\s+at\s/;
const LOCATION = new RegExp(`\\b${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)`);
const DECLARED = new Set(['transient', 'auth', 'logic']);
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Keeps the header lines and the frames in the user's script; returns the innermost frame's location. */
export function scriptStack(stack: string): { stack?: string; location?: string } {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => FRAME.test(line));
  const header = firstFrame < 0 ? lines : lines.slice(0, firstFrame);
  const frames =
    firstFrame < 0 ? [] : lines.slice(firstFrame).filter((line) => FRAME.test(line) && LOCATION.test(line));
  const match = frames.length > 0 ? LOCATION.exec(frames[0] as string) : null;
  const text = [...header, ...frames].join('\n').slice(0, MAX_STACK);
  return {
    ...(text ? { stack: text } : {}),
    ...(match ? { location: `${SCRIPT_FILENAME}:${match[1]}:${match[2]}` } : {}),
  };
}

/** The isolate's JSON description of a thrown value (see bootstrap `describe`), checked field by field. */
export function errorFromDescription(json: string): AttemptError {
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    raw = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    raw = {};
  }
  const name = text(raw.name, MAX_NAME) || 'Error';
  const message = text(raw.message, MAX_MESSAGE);
  const error: AttemptError = { name, message };
  if (typeof raw.code === 'string' && CODE.test(raw.code)) error.code = raw.code;
  if (typeof raw.declaredClass === 'string' && DECLARED.has(raw.declaredClass)) {
    error.declaredClass = raw.declaredClass as AttemptError['declaredClass'];
  }
  if (typeof raw.stack === 'string') Object.assign(error, scriptStack(raw.stack));
  return error;
}

/** A compile error from isolated-vm: "Unexpected identifier 'x' [script.js:3:8]". */
export function compileError(error: unknown): AttemptError {
  const raw = error instanceof Error ? error.message : String(error);
  const match = /\s*\[script\.js:(\d+):(\d+)\]$/.exec(raw);
  const message = (match ? raw.slice(0, match.index) : raw).slice(0, MAX_MESSAGE);
  const name = error instanceof Error && error.name ? error.name : 'SyntaxError';
  return {
    name,
    message,
    ...(match ? { location: `${SCRIPT_FILENAME}:${match[1]}:${match[2]}` } : {}),
  };
}

/**
 * An error thrown by the module's top-level code, as isolated-vm copied it out of the isolate (a host
 * Error holding copied strings; isolated-vm adds frames of its own and of the host, which are dropped).
 */
export function topLevelError(error: unknown): AttemptError {
  if (!(error instanceof Error))
    return {
      name: 'Error',
      message: `Script threw a non-Error value: ${String(error).slice(0, MAX_MESSAGE)}`,
    };
  const result: AttemptError = {
    name: text(error.name, MAX_NAME) || 'Error',
    message: text(error.message, MAX_MESSAGE),
  };
  if (typeof error.stack === 'string') Object.assign(result, scriptStack(error.stack));
  return result;
}

export function internalError(message: string): AttemptError {
  return { name: 'SandboxError', message, code: 'SANDBOX_ERROR' };
}

function text(value: unknown, max: number): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export function closedError(): AttemptError {
  return {
    name: 'SandboxError',
    message: 'The sandbox is shutting down',
    code: 'SANDBOX_CLOSED',
    limit: 'cancelled',
  };
}

export function cancelledError(): AttemptError {
  return { name: 'LimitError', message: 'The run was cancelled', code: 'CANCELLED', limit: 'cancelled' };
}

/** An attempt that ended before (or without) running any script code: the error, nothing else. */
export function earlyFailure(error: AttemptError, wallMs = 0): AttemptResult {
  return {
    status: 'failed',
    error,
    logs: [],
    logsTruncated: false,
    recording: { version: 1, calls: [] },
    cost: { wallMs: Math.round(wallMs * 1000) / 1000, cpuMs: 0, memoryBytes: 0, fetches: 0, hostCalls: 0 },
  };
}
