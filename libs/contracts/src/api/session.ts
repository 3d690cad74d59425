import { z } from 'zod';

/** The caller as GET /me (and sign-in, switch, accept, join) answers it. */
export const profileSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), role: z.string() }),
    workspace: z.object({ id: z.uuid(), name: z.string() }),
    permissions: z.array(z.string()),
    /** Only for a session: send it as x-csrf-token on writes. */
    csrfToken: z.string().optional(),
  })
  .meta({ id: 'Profile' });
