import { Prisma } from './generated/prisma/client';

/**
 * `key = $key AND workspace_id = $workspace`, for a statement that finds one row by its key (a primary
 * key, or the leading column of a unique one) and must still see only the caller's workspace.
 *
 * The workspace test is written `IS NOT DISTINCT FROM` (the same as `=` on a NOT NULL column) so that
 * it cannot be an index condition. Written as `=`, an index leading with `workspace_id` (runs has four)
 * matches the statement as well as the key's own index does, and while a table has no statistics yet
 * (a new install, or one that grew since its last ANALYZE) the planner may take that index and read
 * every row of the workspace to find one; a prepared statement keeps such a plan for as long as its
 * connection lives. Measured (`npm run bench:statements`, 2,000 runs stored): the succeed transition
 * read 243 buffers with `=`, 45 with this; a run's start 119, then 56.
 *
 * `keyColumn` and `alias` (the table's name in the statement, when it has one) are code, never input.
 */
export function byKeyInWorkspace(
  keyColumn: 'id' | 'run_id',
  key: string,
  workspaceId: string,
  alias?: string,
): Prisma.Sql {
  const of = alias ? `${alias}.` : '';
  return Prisma.sql`${Prisma.raw(of + keyColumn)} = ${key}::uuid AND ${Prisma.raw(`${of}workspace_id`)} IS NOT DISTINCT FROM ${workspaceId}::uuid`;
}
