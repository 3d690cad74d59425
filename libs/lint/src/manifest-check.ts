import { type Manifest, manifestSchema, toFieldIssues } from '@mendflow/common';
import type { LintDiagnostic } from './types';

export interface ManifestCheck {
  manifest?: Manifest;
  /** The permissions to check the script against, even when another part of the manifest is invalid. */
  permissions?: Manifest['permissions'];
  diagnostics: LintDiagnostic[];
}

/** The schema of `permissions` alone, so that a bad `limits` does not hide an undeclared host. */
const permissionsSchema = manifestSchema.unwrap().shape.permissions;

/** Validates the manifest; each problem becomes a `manifest` diagnostic naming the field. */
export function checkManifest(input: unknown): ManifestCheck {
  const parsed = manifestSchema.safeParse(input);
  if (parsed.success) return { manifest: parsed.data, permissions: parsed.data.permissions, diagnostics: [] };
  const diagnostics = toFieldIssues(parsed.error, 'manifest').map((issue): LintDiagnostic => ({
    line: 0,
    column: 0,
    severity: 'error',
    message: `${issue.path}: ${issue.message}`,
    ruleId: 'manifest',
  }));
  return { permissions: permissionsOf(input), diagnostics };
}

function permissionsOf(input: unknown): Manifest['permissions'] | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const parsed = permissionsSchema.safeParse((input as { permissions?: unknown }).permissions);
  return parsed.success ? parsed.data : undefined;
}
