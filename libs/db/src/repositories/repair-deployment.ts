import type { AuditRepository } from './audit.repository';
import type { AutomationsRepository, VersionRecord } from './automations.repository';
import type { RepairRecord, RepairsRepository } from './repairs.repository';
import type { RunExecutionRepository } from './run-execution.repository';
import type { TransitionResult } from './run-transitions';

/**
 * Deploying a validated repair: a new version authored by the repair, the repair marked deployed, an
 * audit entry, and the run moved from `from` back to queued on the new version. Used by the worker
 * (automatic deploy) and the API (a person approved the repair). The caller enqueues the next attempt.
 */
export async function deployRepairAndResume(
  repos: {
    automations: AutomationsRepository;
    repairs: RepairsRepository;
    audit: AuditRepository;
    execution: RunExecutionRepository;
  },
  workspaceId: string,
  repair: RepairRecord,
  options: { from: 'repairing' | 'action_needed'; approvedBy?: string },
): Promise<{ version: VersionRecord; transition: TransitionResult | null }> {
  if (!repair.candidateSource) throw new Error(`repair ${repair.id} has no candidate to deploy`);
  const base = await repos.automations.getVersion(workspaceId, repair.baseVersionId);
  if (!base) throw new Error(`repair ${repair.id} refers to a missing version`);
  const version = await repos.automations.addVersion(workspaceId, repair.automationId, {
    source: repair.candidateSource,
    // A repair changes code only: the manifest (and so every permission) is the base version's.
    manifest: base.manifest,
    createdByKind: 'repair',
    createdBy: repair.id,
  });
  await repos.repairs.update(workspaceId, repair.id, { status: 'deployed', deployedVersionId: version.id });
  await repos.audit.record(workspaceId, {
    actorKind: options.approvedBy ? 'user' : 'repair',
    actorId: options.approvedBy ?? repair.id,
    action: 'repair.deployed',
    targetKind: 'automation',
    targetId: repair.automationId,
    data: { repairId: repair.id, runId: repair.runId, version: version.number, fromVersion: base.number },
  });
  const transition = await repos.execution.transition(workspaceId, repair.runId, {
    from: [options.from],
    to: 'queued',
    versionId: version.id,
    event: {
      type: 'repair.deployed',
      data: {
        repairId: repair.id,
        version: version.number,
        ...(options.approvedBy && { approvedBy: options.approvedBy }),
        resumes: true,
      },
    },
  });
  return { version, transition };
}
