import type { RepairStatus, RepairsRepository, RepairUpdate } from '@mendflow/db';

/**
 * The repair's statuses as a machine: for each status, the statuses it may move to.
 *
 *   requested → proposed → validated → deployed | awaiting_approval | failed
 *
 * Any worker status may also end in `failed` (the provider failed, the candidate failed validation,
 * or the run stopped waiting for the repair). `awaiting_approval` is left by a person in the inbox
 * (apps/api): approve → `deployed`, reject → `rejected`. `validating` is what rows from before the
 * machine say for `proposed`; it is read as `proposed` and never written.
 */
export const REPAIR_TRANSITIONS = {
  requested: ['proposed', 'failed'],
  proposed: ['validated', 'failed'],
  validating: ['validated', 'failed'],
  validated: ['deployed', 'awaiting_approval', 'failed'],
  awaiting_approval: ['deployed', 'rejected'],
  deployed: [],
  failed: [],
  rejected: [],
} as const satisfies Record<RepairStatus, readonly RepairStatus[]>;

/** The worker's step for each status it moves on from; a status without one is resting. */
export const REPAIR_STEPS = {
  requested: 'propose',
  proposed: 'validate',
  validating: 'validate',
  validated: 'decide',
} as const satisfies Partial<Record<RepairStatus, string>>;

export type RepairStep = (typeof REPAIR_STEPS)[keyof typeof REPAIR_STEPS];

/** Where the worker's part ends: deployed, awaiting_approval, failed, rejected. */
export type RestingStatus = Exclude<RepairStatus, keyof typeof REPAIR_STEPS>;

export function canMove(from: RepairStatus, to: RepairStatus): boolean {
  return (REPAIR_TRANSITIONS[from] as readonly RepairStatus[]).includes(to);
}

/** The step the worker runs for a repair in `status`, or null when the status is resting. */
export function stepFor(status: RepairStatus): RepairStep | null {
  return (REPAIR_STEPS as Partial<Record<RepairStatus, RepairStep>>)[status] ?? null;
}

export function isResting(status: RepairStatus): status is RestingStatus {
  return stepFor(status) === null;
}

export class IllegalRepairMove extends Error {
  override readonly name = 'IllegalRepairMove';
  constructor(
    readonly repairId: string,
    readonly from: RepairStatus,
    readonly to: RepairStatus,
  ) {
    super(`repair ${repairId} cannot move from ${from} to ${to}`);
  }
}

/**
 * Every status change of the repair loop goes through here: the move must be in the table, and the
 * repository makes it only if the repair is still in the status it was read in (a conditional
 * update). False when another delivery of the job moved it first; the caller then stops and reloads.
 */
export async function moveRepair(
  repairs: Pick<RepairsRepository, 'transition'>,
  workspaceId: string,
  repair: { id: string; status: RepairStatus },
  to: RepairStatus,
  update: Omit<RepairUpdate, 'status'> = {},
): Promise<boolean> {
  if (!canMove(repair.status, to)) throw new IllegalRepairMove(repair.id, repair.status, to);
  return repairs.transition(workspaceId, repair.id, repair.status, to, update);
}
