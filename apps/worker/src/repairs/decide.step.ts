import { deployRepair, type RepairRecord, type VersionRecord } from '@mendflow/db';
import { moveRepair } from './repair-machine';
import type { RepairDeps, RepairStepHandler, RepairStepInput } from './repair-step';

/**
 * `validated` → `awaiting_approval` when the manifest says `repair.requireApproval`, else →
 * `deployed`: the move claims the deploy (only one delivery of the job can make it), then the
 * candidate becomes a new version (libs/db `deployRepair`: version authored by the repair, audit
 * entry `repair.deployed`). Telling the run (inbox item, or resuming it on the new version) is
 * RepairOutcome's part.
 */
export class DecideStep implements RepairStepHandler {
  constructor(private readonly deps: RepairDeps) {}

  async run({ workspaceId, repair, case: facts }: RepairStepInput): Promise<boolean> {
    const { repairs, metrics } = this.deps;
    if (facts.manifest.repair.requireApproval) {
      const moved = await moveRepair(repairs, workspaceId, repair, 'awaiting_approval');
      if (moved) metrics.repairs.inc({ result: 'awaiting_approval' });
      return moved;
    }
    // The move claims the deploy: of two deliveries of the job, only one makes it.
    if (!(await moveRepair(repairs, workspaceId, repair, 'deployed'))) return false;
    metrics.repairs.inc({ result: 'deployed' });
    await deployCandidate(this.deps, workspaceId, await repairs.get(workspaceId, repair.id));
    return true;
  }
}

/**
 * The repair's candidate as a new deployed version (the repair is `deployed` already). The version
 * carries the manifest of the version the run failed on, which may not be the one deployed before
 * (its schedules may differ): the schedulers follow the deploy.
 */
export async function deployCandidate(
  deps: Pick<RepairDeps, 'automations' | 'repairs' | 'audit' | 'schedules'>,
  workspaceId: string,
  repair: RepairRecord,
): Promise<VersionRecord> {
  const version = await deployRepair(
    { automations: deps.automations, repairs: deps.repairs, audit: deps.audit },
    workspaceId,
    repair,
  );
  await deps.schedules.syncAutomation(workspaceId, repair.automationId);
  return version;
}
