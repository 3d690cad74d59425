import { z } from 'zod';

/** Sign-in form. Emails are stored lower-cased (see the bootstrap), so they are compared that way. */
export const loginBody = z.strictObject({
  email: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(320, 'must be at most 320 characters')
    .transform((email) => email.toLowerCase()),
  // Bounded so a huge body cannot make the password hash expensive.
  password: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
});
export type LoginBody = z.output<typeof loginBody>;
