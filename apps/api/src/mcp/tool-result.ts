import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DomainError, ErrorCodes, type Permission, type Role, roleAllows } from '@mendflow/common';
import { forbidden } from '../auth/permission.guard';

/**
 * How every MCP tool answers: structured content for the agent's code, and a one-line text summary for
 * its model. A failure is a tool error (`isError: true`) carrying the same stable code and details the
 * REST error envelope would, so an agent can branch on `code`.
 */
export function toolResult(summary: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: summary }], structuredContent: structured };
}

export function toolError(error: unknown): CallToolResult {
  const known = error instanceof DomainError;
  const body = known
    ? {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined && { details: error.details }),
      }
    : // Not a domain error: its message may hold anything (a query, a path), so the agent gets none of it.
      { code: ErrorCodes.INTERNAL, message: 'the tool failed unexpectedly; the API logged the cause' };
  return {
    isError: true,
    content: [{ type: 'text', text: `${body.code}: ${body.message}` }],
    structuredContent: { error: body },
  };
}

/** The check PermissionGuard makes for a REST route, made per tool: the same DomainError when refused. */
export function requirePermission(role: Role, permission: Permission): void {
  if (!roleAllows(role, permission)) throw forbidden(role, permission);
}
