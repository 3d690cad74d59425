import type { RepairRecord, RunsRepository } from '@mendflow/db';
import type { ValidationReport } from './candidate-validator';
import { deployCandidate } from './decide.step';
import { runWaitsFor } from './repair-case';
import type { RestingStatus } from './repair-machine';
import { type RepairDeps, runOf, validationSummary } from './repair-step';

/**
 * Makes the run follow a repair that came to rest, from what the repair stores, so it works the same
 * right after the step and for a job redelivered after a worker died between the two:
 *
 * - `failed` → the run escalates (`repair_failed`, actions retry and cancel);
 * - `awaiting_approval` → the run escalates (`repair_approval` with the diff and the validation);
 * - `deployed` → the run resumes on the deployed version (a deploy claimed but not finished is
 *   finished first);
 * - `rejected` → nothing (apps/api already failed the run).
 *
 * Only a run still waiting for this repair (repairing, on its attempt) is moved, and the engine moves
 * it only from `repairing`, so doing this twice changes nothing.
 */
export class RepairOutcome {
  constructor(
    private readonly deps: RepairDeps,
    private readonly runs: Pick<RunsRepository, 'get'>,
  ) {}

  async settle(workspaceId: string, repair: RepairRecord & { status: RestingStatus }): Promise<void> {
    const { engine } = this.deps;
    const run = runOf(workspaceId, repair);
    if (repair.status === 'deployed') {
      const version = repair.deployedVersionId
        ? await this.deps.automations.getVersion(workspaceId, repair.deployedVersionId)
        : await deployCandidate(this.deps, workspaceId, repair);
      if (!version) throw new Error(`repair ${repair.id} refers to a missing deployed version`);
      if (!(await runWaitsFor(this.runs, workspaceId, repair))) return;
      this.deps.logger.log(
        `repair ${repair.id} deployed version ${version.number} of automation ${repair.automationId}; resuming run ${repair.runId}`,
      );
      await engine.resumeAfterRepair(run, repair, version, { from: 'repairing' });
      return;
    }
    if (repair.status === 'rejected') return;
    if (!(await runWaitsFor(this.runs, workspaceId, repair))) return;
    const report = repair.validation as ValidationReport | null;
    const validation = report ? validationSummary(repair.id, report) : undefined;
    if (repair.status === 'awaiting_approval') {
      await engine.escalate(
        run,
        {
          kind: 'repair_approval',
          title: 'Approve a repair',
          reason: repair.explanation || 'a validated repair is ready to deploy',
          evidence: { repairId: repair.id, diff: repair.diff, validation },
          actions: ['approve', 'reject', 'cancel'],
          repairId: repair.id,
        },
        { repairId: repair.id },
        { from: 'repairing' },
      );
      return;
    }
    const reason = repair.error ?? 'the repair failed';
    await engine.escalate(
      run,
      {
        kind: 'repair_failed',
        title: report ? 'Repair candidate failed validation' : 'Repair failed',
        reason,
        evidence: { repairId: repair.id, ...(validation && { validation }) },
        actions: ['retry', 'cancel'],
        repairId: repair.id,
      },
      { repairId: repair.id, reason },
      { from: 'repairing' },
    );
  }
}
