import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Credentials } from './config';

/**
 * `mendflow mcp`: a local agent speaks MCP over stdio; every JSON-RPC message is forwarded, unchanged, to
 * the API's Streamable HTTP endpoint `/mcp` with the API key as Bearer, and every answer back. The
 * relay holds no tools of its own: what the agent may do is what the key's role allows on the server.
 */
export async function relayMcp(
  credentials: Credentials,
  local: Transport = new StdioServerTransport(),
  log: (line: string) => void = () => undefined,
): Promise<{ closed: Promise<void>; close(): Promise<void> }> {
  const remote = new StreamableHTTPClientTransport(new URL('/mcp', `${credentials.apiUrl}/`), {
    requestInit: { headers: { authorization: `Bearer ${credentials.apiKey}` } },
  });
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing = false;
  const close = async () => {
    if (closing) return closed;
    closing = true;
    await Promise.allSettled([local.close(), remote.close()]);
    resolveClosed();
  };
  local.onmessage = (message) => {
    remote.send(message).catch((error: unknown) => {
      log(`mendflow mcp: could not forward to ${credentials.apiUrl}/mcp: ${(error as Error).message}`);
      // A request that cannot be forwarded still gets an answer, so the agent does not hang.
      if ('id' in message && 'method' in message) {
        void local.send({
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: -32603,
            message: `the Mendflow API did not accept the message: ${(error as Error).message}`,
          },
        });
      }
    });
  };
  remote.onmessage = (message) => {
    local
      .send(message)
      .catch((error: unknown) => log(`mendflow mcp: stdout failed: ${(error as Error).message}`));
  };
  remote.onerror = (error) => log(`mendflow mcp: ${error.message}`);
  local.onerror = (error) => log(`mendflow mcp: ${error.message}`);
  local.onclose = () => void close();
  remote.onclose = () => void close();
  await remote.start();
  await local.start();
  return { closed, close };
}
