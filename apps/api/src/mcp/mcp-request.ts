import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { DomainError, ErrorCodes } from '@mendflow/common';
import type { Request } from 'express';

/** What the MCP transport requires of a POST's Accept header; we always answer plain JSON. */
const MCP_ACCEPT = 'application/json, text/event-stream';

/**
 * Checks a POST /mcp before the SDK's transport sees it, so what the transport would refuse in its own
 * JSON-RPC shape is refused in the API's error envelope instead, with a stable code: a body that is not
 * a JSON-RPC message (or a batch of them) is a 400 MCP_INVALID_MESSAGE.
 *
 * The transport also insists on `Accept: application/json, text/event-stream`. This endpoint answers
 * JSON only (enableJsonResponse), so any client that takes JSON is served: its Accept header is
 * normalized here, and one that accepts no JSON at all is refused.
 */
export function checkMcpRequest(request: Request): void {
  const body: unknown = request.body;
  const messages = Array.isArray(body) ? body : [body];
  const invalid = messages.length === 0 || messages.some((m) => !JSONRPCMessageSchema.safeParse(m).success);
  if (invalid) {
    throw new DomainError(
      ErrorCodes.MCP_INVALID_MESSAGE,
      'invalid',
      'the body must be a JSON-RPC 2.0 message (or a non-empty batch of them), sent as application/json',
    );
  }
  if (request.accepts('application/json') === false) {
    throw new DomainError(
      ErrorCodes.MCP_INVALID_MESSAGE,
      'invalid',
      'the MCP endpoint answers application/json: the Accept header must allow it',
    );
  }
  // The transport reads the raw header list (it builds a web Request from it), so both are rewritten.
  request.headers.accept = MCP_ACCEPT;
  const raw: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (name.toLowerCase() !== 'accept') raw.push(name, request.rawHeaders[i + 1]!);
  }
  request.rawHeaders.splice(0, request.rawHeaders.length, ...raw, 'accept', MCP_ACCEPT);
}
