import { Injectable } from '@nestjs/common';
import { summarizeRunEvent } from '@mendflow/contracts';
import { type AttemptRecord, type RunRecord, RunsRepository } from '@mendflow/db';

/** Beyond this many events, the timeline summary keeps the last ones (the full timeline is REST's). */
const TIMELINE_LINES = 50;

/**
 * What the run tools (execute, run, get_run) tell an agent about a run: its status, output or error
 * (with the script location), the last attempt's classification, logs and host calls, and the timeline
 * as one line per event. Host calls come from the sandbox's recording, where every served secret value
 * is already redacted (libs/sandbox recording.ts).
 */
@Injectable()
export class RunReporter {
  constructor(private readonly runs: RunsRepository) {}

  async report(workspaceId: string, run: RunRecord, settled: boolean) {
    const attempts = await this.runs.listAttempts(workspaceId, run.id);
    const last = attempts.at(-1);
    const [logs, recording, events] = await Promise.all([
      last ? this.runs.listLogs(workspaceId, run.id) : Promise.resolve([]),
      last ? this.runs.getRecording(workspaceId, run.id, last.number) : Promise.resolve(null),
      this.runs.listEvents(workspaceId, run.id),
    ]);
    return buildRunReport({
      run,
      settled,
      last,
      logs: logs.find((entry) => entry.attempt === last?.number)?.logs ?? [],
      recording,
      events,
    });
  }
}

export function buildRunReport(parts: {
  run: RunRecord;
  settled: boolean;
  last: AttemptRecord | undefined;
  logs: unknown;
  recording: unknown;
  events: { seq: number; type: string; data: unknown }[];
}) {
  const { run, last } = parts;
  const calls = (parts.recording as { calls?: unknown[] } | null)?.calls ?? [];
  return {
    runId: run.id,
    automationId: run.automationId,
    versionNumber: run.versionNumber,
    trigger: run.trigger,
    status: run.status,
    /** False when the wait ended before the run did: ask again with get_run. */
    settled: parts.settled,
    attemptCount: run.attemptCount,
    output: run.output ?? null,
    error: run.error ?? null,
    /** Where in the script the error was raised, parsed from the error's `script.js:LINE:COLUMN`. */
    errorLocation: parseLocation(run.error?.location),
    classification: last?.classification ?? null,
    logs: Array.isArray(parts.logs) ? parts.logs : [],
    hostCalls: calls,
    timeline: parts.events.slice(-TIMELINE_LINES).map((event) => `${event.seq} ${summarizeRunEvent(event)}`),
  };
}

export type RunReport = ReturnType<typeof buildRunReport>;

/** The text line an agent's model reads first. */
export function summarizeReport(report: RunReport): string {
  const head = `run ${report.runId} ${report.status}`;
  if (!report.settled) return `${head}; not finished within the wait: call get_run later`;
  if (report.status === 'succeeded') return `${head}: output ${truncate(JSON.stringify(report.output))}`;
  const { error, errorLocation } = report;
  if (!error) return head;
  const where = errorLocation ? ` at line ${errorLocation.line}, column ${errorLocation.column}` : '';
  const kind = (report.classification as { class?: string } | null)?.class;
  return `${head}: ${error.name}: ${error.message}${where}${kind ? ` (${kind})` : ''}`;
}

function truncate(text: string | undefined, max = 500): string {
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function parseLocation(location: string | undefined): { line: number; column: number } | null {
  const match = location ? /:(\d+):(\d+)$/.exec(location) : null;
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}
