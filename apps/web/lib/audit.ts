import type { AuditEntry } from './api';

/** What each audited action means, in words, for the audit page (unknown actions fall back to the code). */
export const AUDIT_ACTIONS: Record<string, string> = {
  'automation.deployed': 'Deployed a version',
  'automation.rolled_back': 'Rolled back',
  'automation.updated': 'Changed an automation',
  'automation.deleted': 'Deleted an automation',
  'repair.proposed': 'Proposed a repair',
  'repair.deployed': 'Deployed a repair',
  'run.cancelled': 'Cancelled a run',
  'run.retried': 'Retried a run',
  'inbox.retry': 'Resolved: retry',
  'inbox.approve': 'Resolved: approve',
  'inbox.reject': 'Resolved: reject',
  'inbox.cancel': 'Resolved: cancel',
  'member.invited': 'Invited',
  'invitation.revoked': 'Withdrew an invitation',
  'member.joined': 'Joined',
  'member.role_changed': 'Changed a role',
  'member.removed': 'Removed a member',
  'member.left': 'Left',
  'api_key.created': 'Created an API key',
  'api_key.revoked': 'Revoked an API key',
  'secret.set': 'Set a secret',
  'secret.deleted': 'Deleted a secret',
  'workspace.created': 'Created the workspace',
  'workspace.renamed': 'Renamed the workspace',
  'workspace.retention_changed': 'Changed retention',
};

/** Filter choices: every action of a kind, then each action. */
export const AUDIT_ACTION_OPTIONS = [
  {
    group: 'Kinds',
    items: [
      { value: 'automation.*', label: 'Automations (all)' },
      { value: 'repair.*', label: 'Repairs (all)' },
      { value: 'run.*', label: 'Runs (all)' },
      { value: 'inbox.*', label: 'Inbox resolutions (all)' },
      { value: 'member.*', label: 'Members (all)' },
      { value: 'api_key.*', label: 'API keys (all)' },
      { value: 'secret.*', label: 'Secrets (all)' },
    ],
  },
  {
    group: 'Actions',
    items: Object.entries(AUDIT_ACTIONS).map(([value, label]) => ({ value, label })),
  },
];

export const AUDIT_TARGET_KINDS = [
  { value: 'automation', label: 'Automation' },
  { value: 'run', label: 'Run' },
  { value: 'inbox_item', label: 'Inbox item' },
  { value: 'user', label: 'Member' },
  { value: 'invitation', label: 'Invitation' },
  { value: 'api_key', label: 'API key' },
  { value: 'secret', label: 'Secret' },
  { value: 'workspace', label: 'Workspace' },
];

export function auditActionLabel(action: string): string {
  return AUDIT_ACTIONS[action] ?? action;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;

/** A short line of what the entry's data says (never more than the API recorded: no secret values). */
export function auditSummary(entry: AuditEntry): string {
  const d = entry.data;
  switch (entry.action) {
    case 'automation.deployed':
    case 'automation.rolled_back':
      return d.version !== undefined ? `version ${text(d.version)}` : '';
    case 'repair.deployed':
      return [
        d.fromVersion !== undefined && `v${text(d.fromVersion)} → v${text(d.version)}`,
        d.runId && `for run ${String(d.runId).slice(0, 8)}`,
      ]
        .filter(Boolean)
        .join(' ');
    case 'automation.updated':
      return Array.isArray(d.fields)
        ? `${(d.fields as unknown[]).map(String).join(', ')}${d.status ? ` → ${text(d.status)}` : ''}`
        : '';
    case 'member.role_changed':
      return `${text(d.email) ?? ''}: ${text(d.from)} → ${text(d.to)}`;
    case 'member.invited':
    case 'member.joined':
    case 'member.removed':
    case 'member.left':
    case 'invitation.revoked':
      return [text(d.email), text(d.role)].filter(Boolean).join(' as ');
    case 'api_key.created':
    case 'api_key.revoked':
      return [text(d.name), d.role && `(${text(d.role)})`].filter(Boolean).join(' ');
    case 'workspace.renamed':
      return `${text(d.from)} → ${text(d.to)}`;
    case 'workspace.retention_changed':
      return retentionSummary(d.to);
    default:
      return text(d.comment) ? `“${text(d.comment)}”` : (text(d.name) ?? '');
  }
}

/** "runs 30 days (keep 100 per automation), audit 365 days" from a retention entry's `to`. */
function retentionSummary(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const to = value as Record<string, unknown>;
  return `runs ${text(to.runRetentionDays)} days (keep ${text(to.keepRunsPerAutomation)} per automation), audit ${text(to.auditRetentionDays)} days`;
}
