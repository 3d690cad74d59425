import { z } from 'zod';

/**
 * POST /mcp carries Model Context Protocol messages (JSON-RPC 2.0, docs/mcp.md): one message or a
 * batch in, the matching responses out. Their shapes are the MCP specification's, not Mendflow's, so the
 * document names them without restating the protocol.
 */
const jsonRpcMessage = z.looseObject({ jsonrpc: z.literal('2.0') });

export const mcpRequestSchema = z
  .union([jsonRpcMessage, z.array(jsonRpcMessage)])
  .meta({ description: 'A JSON-RPC 2.0 message of the Model Context Protocol, or a batch' });

export const mcpResponseSchema = z
  .union([jsonRpcMessage, z.array(jsonRpcMessage)])
  .meta({ id: 'McpResponse', description: 'The JSON-RPC 2.0 response(s) to the request(s)' });
