import { z } from 'zod';
import { isoDateTime, listOf, nullableDateTime } from './common';

const apiKeyFields = {
  id: z.uuid(),
  name: z.string(),
  /** The first characters of the key, to recognise it; never the key. */
  prefix: z.string(),
  role: z.string(),
  createdBy: z.object({ id: z.uuid(), email: z.string().nullable() }),
  createdAt: isoDateTime,
  lastUsedAt: nullableDateTime,
  expiresAt: nullableDateTime,
};
export const apiKeySchema = z.object(apiKeyFields).meta({ id: 'ApiKey' });
export const apiKeyListSchema = listOf(apiKeySchema).meta({ id: 'ApiKeyList' });
/** The key (`mf_…`) is in this answer only. */
export const createdApiKeySchema = z
  .object({ ...apiKeyFields, key: z.string() })
  .meta({ id: 'CreatedApiKey' });
