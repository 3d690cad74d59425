/**
 * What a script can wait for mid-run (`ctx.waitForApproval`, `ctx.sleep`, `ctx.sleepUntil`), and the
 * answers a wait gets. The sandbox produces the requests, the engine stores them on the waiting
 * attempt, the dashboard shows them, and the next attempt resumes with the answer.
 */

/** Limits on what the script may do after an approval; the approver may tighten them. */
export interface ApprovalCaps {
  /** ctx.fetch calls allowed after the approval. */
  maxFetches?: number;
  /** Host patterns fetches after the approval must match (within the manifest's permissions.hosts). */
  hosts?: string[];
}

export type WaitRequest =
  | { kind: 'approval'; title: string; details?: string; timeoutMs: number; caps?: ApprovalCaps }
  | { kind: 'sleep'; /** epoch ms */ until: number };

/** What `ctx.waitForApproval` resolves to. */
export interface ApprovalAnswer {
  approved: boolean;
  /** The user id of whoever answered; absent when the request expired. */
  by?: string;
  comment?: string;
  expired?: true;
  /** The caps in force after the approval (the request's, or tighter ones the approver chose). */
  caps?: ApprovalCaps;
}

/** A sleep's answer: it carries nothing, the time has come. */
export interface SleepAnswer {
  slept: true;
}

export type WaitAnswer = ApprovalAnswer | SleepAnswer;

/** The longest a script may sleep or wait for an approval. */
export const MAX_WAIT_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Whether `tightened` asks no more than `requested` (and stays within the manifest's hosts when the
 * request named none). Returns the field that widens, or null.
 */
export function widenedCap(
  requested: ApprovalCaps | undefined,
  tightened: ApprovalCaps,
  manifestHosts: readonly string[],
): 'maxFetches' | 'hosts' | null {
  if (tightened.maxFetches !== undefined && requested?.maxFetches !== undefined) {
    if (tightened.maxFetches > requested.maxFetches) return 'maxFetches';
  }
  if (tightened.hosts !== undefined) {
    const allowed = requested?.hosts ?? manifestHosts;
    if (tightened.hosts.some((host) => !allowed.includes(host))) return 'hosts';
  }
  return null;
}

/** The caps that apply after an approval: the approver's where given, else the request's. */
export function effectiveCaps(
  requested: ApprovalCaps | undefined,
  tightened: ApprovalCaps | undefined,
): ApprovalCaps | undefined {
  if (!requested && !tightened) return undefined;
  return {
    ...requested,
    ...(tightened?.maxFetches !== undefined && { maxFetches: tightened.maxFetches }),
    ...(tightened?.hosts !== undefined && { hosts: tightened.hosts }),
  };
}
