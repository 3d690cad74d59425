/** An error as stored on a run or attempt, and as shown to users. */
export interface RunError {
  name: string;
  message: string;
  /** Where in the user's script it happened, when known ("script.js:3:11"). */
  location?: string;
  stack?: string;
  /** Host-assigned code for failures the host detected (`HOST_NOT_ALLOWED`, `TIMEOUT`, …). */
  code?: string;
  /** Why the sandbox ended the attempt, when a limit did (`timeout`, `memory`, …). */
  limit?: string;
}
