import { z } from 'zod';
import { isoDateTime, listOf } from './common';

/** Names only: a secret's value goes in and never comes out. */
export const secretSchema = z
  .object({ name: z.string(), createdAt: isoDateTime, updatedAt: isoDateTime })
  .meta({ id: 'Secret' });
export const secretListSchema = listOf(secretSchema).meta({ id: 'SecretList' });
export const secretPutSchema = z
  .object({ name: z.string(), created: z.boolean() })
  .meta({ id: 'SecretPutResult' });
