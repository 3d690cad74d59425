import { manifestSchema } from '@mendflow/common';
import type { components } from '@mendflow/sdk';
import { type Api, call, findAutomation } from './api';
import type { ScriptFolder } from './folder';
import { formatDiagnostic, lintFolder } from './linting';
import { CliError, EXIT } from './output';

type Version = components['schemas']['Version'];

export interface DeployOutcome {
  name: string;
  id: string;
  action: 'created' | 'updated' | 'unchanged';
  version: number;
}

/**
 * Creates the automation, or adds a version when its source, manifest or language differ from the deployed
 * version's; an unchanged folder makes no version. The script is linted first: errors stop it (exit 4).
 */
export async function deployFolder(api: Api, folder: ScriptFolder): Promise<DeployOutcome> {
  const lint = await lintFolder(folder, async () => api);
  if (!lint.ok) {
    const errors = lint.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    throw new CliError(
      `${folder.name}: ${errors.length} lint error(s), not deployed:\n${errors.map((d) => `  ${formatDiagnostic(folder.file, d)}`).join('\n')}`,
      EXIT.lint,
      'LINT_FAILED',
      { diagnostics: errors },
    );
  }
  const existing = await findAutomation(api, folder.name);
  const body = {
    source: folder.source,
    manifest: folder.manifest,
    ...(folder.language ? { language: folder.language } : {}),
  };
  if (!existing) {
    const created = await call(
      api.client.POST('/api/v1/automations', { body: { name: folder.name, ...body } }),
    );
    return {
      name: created.name,
      id: created.id,
      action: 'created',
      version: created.deployedVersion?.number ?? 1,
    };
  }
  if (sameAsDeployed(existing, folder)) {
    return {
      name: existing.name,
      id: existing.id,
      action: 'unchanged',
      version: existing.deployedVersion?.number ?? 0,
    };
  }
  const version = await call(
    api.client.POST('/api/v1/automations/{id}/versions', { params: { path: { id: existing.id } }, body }),
  );
  return { name: existing.name, id: existing.id, action: 'updated', version: version.number };
}

/** Same source, same language, and the same manifest once defaults are filled in (as the API stores it). */
export function sameAsDeployed(
  automation: { deployedVersion: Pick<Version, 'source' | 'manifest' | 'language'> | null },
  folder: Pick<ScriptFolder, 'source' | 'manifest' | 'language'>,
): boolean {
  const deployed = automation.deployedVersion;
  if (!deployed || deployed.source !== folder.source) return false;
  if (deployed.language !== (folder.language ?? 'javascript')) return false;
  const local = manifestSchema.safeParse(folder.manifest ?? {});
  const stored = manifestSchema.safeParse(deployed.manifest ?? {});
  return local.success && stored.success && canonical(local.data) === canonical(stored.data);
}

/** JSON with object keys sorted, so key order does not count as a change. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
