import { z } from 'zod';

/**
 * GET /api/v1/secret-requests: the secrets agents asked a person to set (MCP request_secret,
 * docs/mcp.md). A request holds a name and a purpose, never a value.
 */
export const secretRequestView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    purpose: z.string(),
    /** The API key that asked; null when the key was deleted since. */
    requestedByKeyId: z.uuid().nullable(),
    status: z.enum(['open', 'fulfilled']),
    createdAt: z.iso.datetime(),
    fulfilledAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SecretRequest' });
export type SecretRequestView = z.infer<typeof secretRequestView>;

export const secretRequestListResponse = z
  .object({ items: z.array(secretRequestView) })
  .meta({ id: 'SecretRequestList' });
export type SecretRequestListResponse = z.infer<typeof secretRequestListResponse>;
