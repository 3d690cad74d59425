import { intParam } from '@mendflow/common';
import { z } from 'zod';

// Ids are checked for shape only; whether they name something of the caller's is the gateway's question.
const id = z.guid('must be a UUID');

/**
 * What a client may `subscribe` (and `unsubscribe`) to: one run (with catch-up after `afterSeq`; 0, the
 * default, replays the whole timeline), every run of one automation, or every run of its workspace.
 */
export const subscriptionBody = z.union([
  z.strictObject({ runId: id, afterSeq: intParam.optional() }),
  z.strictObject({ automationId: id }),
  z.strictObject({ workspace: z.literal(true) }),
]);
export type Subscription = z.output<typeof subscriptionBody>;

export type SubscriptionAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export const SUBSCRIPTION_SHAPES = '{ runId, afterSeq? }, { automationId } or { workspace: true }';
