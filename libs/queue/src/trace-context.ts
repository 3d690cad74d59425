import { z } from 'zod';

/**
 * The W3C trace context a producer puts in a job's data (docs/operations.md "Tracing"), so the
 * consumer's span continues the producer's trace. Optional: absent whenever tracing is off, and in
 * jobs queued before it existed. Validated like every other field: a malformed value fails the parse.
 */
export const jobTraceContext = z.strictObject({
  /** version-traceid-parentid-flags, lower-case hex (https://www.w3.org/TR/trace-context/#traceparent-header). */
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
  /** Vendor entries, at most 512 characters as the specification allows. */
  tracestate: z.string().max(512).optional(),
});
export type JobTraceContext = z.output<typeof jobTraceContext>;
