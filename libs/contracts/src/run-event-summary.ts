/**
 * One plain-language line per run event, for every reader that shows a timeline as text: the dashboard's
 * timeline titles, and later the CLI and the MCP server. Only the event's own data is used, read through
 * the catalog (`parseRunEvent`), so an unknown or malformed event still gets a line.
 */
import { parseRunEvent, type RunEventData, type RunEventType } from './run-events';

type Summaries = { [T in RunEventType]: (data: RunEventData<T>) => string };

const SYSTEM_ACTORS = new Set(['system', 'scheduler', 'worker']);

/** Who did it, as a short phrase: a user's id is shortened; null means an API key or the system. */
export function describeActor(by: string | null | undefined): string {
  if (!by) return 'the system';
  if (SYSTEM_ACTORS.has(by)) return `the ${by}`;
  return `user ${by.slice(0, 8)}`;
}

/** 4 s, 1.5 s, 350 ms, 2 min, 3 h. */
export function formatDelay(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  const min = s / 60;
  if (min < 60) return `${Math.round(min)} min`;
  return `${Math.round(min / 60)} h`;
}

function clip(text: string, max = 160): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

const humanize = (value: string) => value.replace(/[._]/g, ' ');

const SUMMARIES: Summaries = {
  'run.queued': (d) => {
    const parts = [d.trigger === 'retry' ? 'Queued again' : 'Queued'];
    if (d.reason) parts.push(`: ${clip(d.reason)}`);
    else if (d.trigger) parts.push(` (${d.trigger})`);
    if (d.by) parts.push(` by ${describeActor(d.by)}`);
    if (d.version !== undefined) parts.push(`, version ${d.version}`);
    return parts.join('');
  },
  'run.running': (d) => `Attempt ${d.attempt} started`,
  'run.succeeded': (d) => `Succeeded on attempt ${d.attempt}`,
  'run.retry_scheduled': (d) =>
    `Retry in ${formatDelay(d.delayMs)} after a ${d.classification.class} failure: ${clip(d.error.message)}`,
  'run.repairing': (d) =>
    `Repairing after a ${d.classification.class} failure in attempt ${d.attempt}: asking ${d.provider} for a fix`,
  'run.action_needed': (d) => `Action needed: ${clip(d.title)}`,
  'run.waiting': (d) =>
    d.kind === 'approval'
      ? `Waiting for approval: ${clip(d.title ?? 'a person')}`
      : `Sleeping until ${d.until}`,
  'run.resumed': (d) => {
    if (d.kind === 'sleep') return 'Resumed: the sleep ended';
    if (d.expired) return 'Resumed: the approval request expired';
    const verdict = d.approved === false ? 'rejected' : 'approved';
    return `Resumed: ${verdict} by ${describeActor(d.by)}${d.comment ? ` (“${clip(d.comment, 80)}”)` : ''}`;
  },
  'run.failed': (d) => `Failed: ${clip(d.reason)}`,
  'run.cancelled': (d) =>
    `Cancelled${d.by ? ` by ${describeActor(d.by)}` : ''}${d.reason ? `: ${clip(d.reason)}` : ''}`,
  'attempt.abandoned': (d) => `Attempt ${d.attempt} abandoned, queued again: ${clip(d.reason)}`,
  'repair.proposed': (d) => `Repair proposed by ${d.provider}${d.model ? ` (${d.model})` : ''}`,
  'repair.validated': (d) =>
    d.passed
      ? 'Repair passed validation'
      : `Repair failed validation${d.reason ? `: ${clip(d.reason)}` : ''}`,
  'repair.deployed': (d) =>
    `Repair deployed as version ${d.version}${d.approvedBy ? `, approved by ${describeActor(d.approvedBy)}` : ''}`,
  'inbox.resolved': (d) =>
    `Inbox item resolved with “${humanize(d.action)}” by ${describeActor(d.by)}${d.comment ? ` (“${clip(d.comment, 80)}”)` : ''}`,
};

/** One line that says what the event means, e.g. "Attempt 2 started" or "Waiting for approval: Send invoice". */
export function summarizeRunEvent(event: { type: string; data: unknown }): string {
  const parsed = parseRunEvent(event);
  if (!parsed.known) return humanize(event.type).replace(/^./, (c) => c.toUpperCase());
  const summarize = SUMMARIES[parsed.type] as (data: unknown) => string;
  return summarize(parsed.data);
}
