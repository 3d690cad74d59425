import type { AuditRepository } from './audit.repository';
import type { AutomationsRepository, VersionRecord } from './automations.repository';
import type { RepairRecord, RepairsRepository } from './repairs.repository';

/**
 * Deploying a validated repair: a new version authored by the repair, the repair marked deployed, and
 * an audit entry. Used by the worker (automatic deploy) and the API (a person approved the repair); the
 * caller then resumes the run on the new version (RunEngine.resumeAfterRepair).
 */
export async function deployRepair(
  repos: {
    automations: AutomationsRepository;
    repairs: RepairsRepository;
    audit: AuditRepository;
  },
  workspaceId: string,
  repair: RepairRecord,
  options: { approvedBy?: string } = {},
): Promise<VersionRecord> {
  if (!repair.candidateSource) throw new Error(`repair ${repair.id} has no candidate to deploy`);
  const base = await repos.automations.getVersion(workspaceId, repair.baseVersionId);
  if (!base) throw new Error(`repair ${repair.id} refers to a missing version`);
  const version = await repos.automations.addVersion(workspaceId, repair.automationId, {
    source: repair.candidateSource,
    // The candidate was asked for, linted and replayed in the base version's language.
    language: base.language,
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
  return version;
}
