import type { AutomationRecord, AutomationStats, VersionRecord } from '@mendflow/db';

/** Response shapes: records are mapped field by field, so nothing internal leaks by accident. */
export function versionSummaryView(version: VersionRecord) {
  return {
    id: version.id,
    number: version.number,
    language: version.language,
    createdBy: { kind: version.createdByKind, id: version.createdBy },
    createdAt: version.createdAt.toISOString(),
  };
}

export function versionView(version: VersionRecord) {
  return { ...versionSummaryView(version), source: version.source, manifest: version.manifest };
}

export function automationView(automation: AutomationRecord) {
  return {
    id: automation.id,
    name: automation.name,
    description: automation.description,
    status: automation.status,
    latestVersion: automation.latestVersion,
    deployedVersion: automation.deployedVersion ? versionSummaryView(automation.deployedVersion) : null,
    createdAt: automation.createdAt.toISOString(),
    updatedAt: automation.updatedAt.toISOString(),
  };
}

export function automationDetailView(automation: AutomationRecord) {
  return {
    ...automationView(automation),
    deployedVersion: automation.deployedVersion ? versionView(automation.deployedVersion) : null,
  };
}

export function automationStatsView(stats: AutomationStats | undefined) {
  return {
    lastRun: stats?.lastRun ? { ...stats.lastRun, createdAt: stats.lastRun.createdAt.toISOString() } : null,
    successRate: stats?.successRate ?? null,
    runsLast7Days: stats?.runsLast7Days ?? 0,
    openInboxItems: stats?.openInboxItems ?? 0,
  };
}
