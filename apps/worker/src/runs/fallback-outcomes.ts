/**
 * Outcomes the worker settles an attempt with when the attempt could not provide one that can be
 * stored: the sandbox threw instead of returning a result, or the database refused what the attempt
 * left behind. Both are failures like any other, classified and with an error that says what
 * happened, so neither can leave a run `running`.
 */
import { storableText } from '@mendflow/common';
import type { LintDiagnostic } from '@mendflow/lint';
import { type AttemptError, type AttemptResult, SCRIPT_FILENAME } from '@mendflow/sandbox';

const MAX_TEXT = 2000;
const NO_COST: AttemptResult['cost'] = { wallMs: 0, cpuMs: 0, memoryBytes: 0, fetches: 0, hostCalls: 0 };

/** The sandbox threw instead of returning a result (SANDBOX_ERROR). */
export function sandboxFailure(error: unknown): AttemptResult {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return failed(
    {
      name: 'SandboxError',
      code: 'SANDBOX_ERROR',
      message: text(`The sandbox failed while running the attempt: ${detail}`),
    },
    NO_COST,
    false,
  );
}

/**
 * A TypeScript version whose types could not be stripped (it could not have passed the lint on deploy,
 * unless stored before this check existed): settled as the sandbox settles a JavaScript syntax error,
 * at the same location in the source as written, so it is classified and repaired the same way.
 */
export function scriptCompileFailure(diagnostic: LintDiagnostic): AttemptResult {
  return failed(
    {
      name: 'SyntaxError',
      message: text(diagnostic.message),
      location: `${SCRIPT_FILENAME}:${diagnostic.line}:${diagnostic.column}`,
    },
    NO_COST,
    false,
  );
}

/**
 * What is left of an attempt whose outcome the database refused to store (STORAGE_REJECTED): its cost,
 * and how it ended, in words; its result, logs and recording are dropped. An ending that is not a
 * failure to classify (the worker shutting down, a cancel) keeps its error, so it settles as before.
 */
export function storageRejected(result: AttemptResult, reason: string): AttemptResult {
  const original = result.error;
  if (original && (original.code === 'SANDBOX_CLOSED' || original.limit === 'cancelled')) {
    return failed(
      {
        name: text(original.name),
        message: text(original.message),
        ...(original.code && { code: original.code }),
        ...(original.limit && { limit: original.limit }),
      },
      result.cost,
      true,
    );
  }
  const ended =
    result.status === 'succeeded'
      ? 'had succeeded'
      : `had failed with ${original?.name ?? 'Error'}: ${original?.message ?? ''}`;
  return failed(
    {
      name: 'StorageError',
      code: 'STORAGE_REJECTED',
      message: text(
        `The attempt's outcome could not be stored (${reason}), so its result, logs and recording were dropped; the attempt ${ended}`,
      ),
    },
    result.cost,
    true,
  );
}

function failed(error: AttemptError, cost: AttemptResult['cost'], logsDropped: boolean): AttemptResult {
  return {
    status: 'failed',
    error,
    logs: [],
    logsTruncated: logsDropped,
    recording: { version: 1, calls: [] },
    cost,
  };
}

/** Storable and short: cut first, then mended (a cut can split a surrogate pair). */
function text(value: string): string {
  return storableText(value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value);
}
