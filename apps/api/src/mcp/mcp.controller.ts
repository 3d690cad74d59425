import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { mcpRequestSchema, mcpResponseSchema } from '@mendflow/contracts/api';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ApiContract } from '../common/api-contract';
import { checkMcpRequest } from './mcp-request';
import { registerMcpTools } from './mcp-tools';
import { McpToolServices } from './mcp-tool-services';

export const MCP_SERVER_INFO = { name: 'mendflow', version: '0.1.0' };

/**
 * The Model Context Protocol over Streamable HTTP, stateless (docs/mcp.md): every POST carries its own
 * credentials and gets a fresh server bound to that caller, so there is no session to keep, share
 * between API replicas, or steal. As a Nest route it goes through the same guards as REST (a missing or
 * bad key is a 401 in the error envelope), the same body limits and the same error filter; each tool then
 * checks its own permission against the key's role. GET (a server stream) and DELETE (a session) have
 * nothing to serve here: the error filter answers them 405 with `Allow: POST`.
 */
@ApiTags('mcp')
@Controller('mcp')
export class McpController {
  constructor(private readonly services: McpToolServices) {}

  @Post()
  @Requires('workspace:read')
  @HttpCode(200)
  // The transport writes the answer itself (@Res): a JSON-RPC response (200), or 202 with no body when
  // the message was a notification.
  @ApiContract({
    summary:
      'Model Context Protocol (Streamable HTTP, stateless): JSON-RPC messages for the agent tools; each tool checks its own permission',
    body: mcpRequestSchema,
    response: [{ status: 200, schema: mcpResponseSchema }, { status: 202 }],
  })
  async handle(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    checkMcpRequest(request);
    const server = new McpServer(MCP_SERVER_INFO, { capabilities: { tools: {} } });
    registerMcpTools(server, principal, this.services);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, request.body);
  }
}
