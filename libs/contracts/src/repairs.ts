/**
 * A repair's statuses (the machine that moves between them is the worker's repair loop:
 * apps/worker/src/repairs/repair-machine.ts). `validating` is what rows written before the machine say
 * instead of `proposed`; still read, never written.
 */
export const REPAIR_STATUSES = [
  'requested',
  'proposed',
  'validating',
  'validated',
  'deployed',
  'awaiting_approval',
  'rejected',
  'failed',
] as const;
export type RepairStatus = (typeof REPAIR_STATUSES)[number];

/**
 * A repair in one of these is over: nothing (the worker's loop, a person's approval) will move it again.
 * Any other repair is pending, and retention keeps its run.
 */
export const FINISHED_REPAIR_STATUSES = [
  'deployed',
  'rejected',
  'failed',
] as const satisfies readonly RepairStatus[];
