import type { z } from 'zod';

/**
 * Validates the process environment once at boot into a typed config. An empty variable counts as
 * unset (compose files and shells often pass `X=`), and a bad one stops the process with its name.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => {
        const name = issue.path.join('.') || 'environment';
        // A required variable that is simply not there: say so, not what its value should look like.
        const missing =
          issue.code === 'invalid_type' &&
          issue.path.length === 1 &&
          present[String(issue.path[0])] === undefined;
        return missing
          ? `  ${name}: is missing (set it in the environment or in .env; see .env.example)`
          : `  ${name}: ${issue.message}`;
      })
      .join('\n');
    throw new Error(`invalid configuration:\n${problems}`);
  }
  return result.data;
}
