/** How a refused host call reaches the script: an error with a name, a message and a stable code. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

/** A request the host refuses before touching anything (malformed or out of bounds). */
export class OpError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export function invalidRequest(fn: string, message: string, name = 'TypeError'): OpError {
  return new OpError({ name, message: `${fn}: ${message}`, code: 'INVALID_REQUEST' });
}
