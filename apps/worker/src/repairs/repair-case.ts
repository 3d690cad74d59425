import { type Manifest, NotFoundError, type ScriptLanguage } from '@mendflow/common';
import type {
  AutomationsRepository,
  RepairRecord,
  RunExecutionRepository,
  RunsRepository,
} from '@mendflow/db';
import type { Recording } from '@mendflow/sandbox';
import type { ReplayCase } from './candidate-validator';
import type { RepairRequest } from './repair-provider';
import { buildRepairRequest, failingRecording } from './repair-request';

/** Up to this many recent successful runs are shown to the provider and replayed against a candidate. */
export const MAX_SUCCESSES = 5;

/** Everything the steps of one repair work from; loaded once per job, it does not change. */
export interface RepairCase {
  automation: { id: string; name: string };
  manifest: Manifest;
  /** The failing version: a candidate is linted, replayed and deployed in its language. */
  version: { number: number; source: string; language: ScriptLanguage };
  /** The failing attempt as a replay case: its input and recording. */
  failing: ReplayCase;
  /** Up to MAX_SUCCESSES recent successful attempts of the automation (not of this run). */
  successes: ReplayCase[];
  /** What the provider is asked (repair-request.ts). */
  request: RepairRequest;
}

/** Loads the case for a repair; null when its failing attempt is gone. */
export async function loadRepairCase(
  deps: { execution: RunExecutionRepository; automations: AutomationsRepository },
  workspaceId: string,
  repair: RepairRecord,
): Promise<RepairCase | null> {
  const failing = await deps.execution.loadAttemptForRepair(workspaceId, repair.runId, repair.attempt);
  if (!failing) return null;
  const automation = await deps.automations.get(workspaceId, repair.automationId);
  const successes = (
    await deps.execution.recentSuccesses(workspaceId, repair.automationId, MAX_SUCCESSES + 1)
  )
    .filter((s) => s.runId !== repair.runId)
    .slice(0, MAX_SUCCESSES)
    .map((s): ReplayCase => ({
      runId: s.runId,
      input: s.run.input,
      output: s.output,
      recording: s.recording as unknown as Recording,
    }));
  const version = {
    number: failing.version.number,
    source: failing.version.source,
    language: failing.version.language as ScriptLanguage,
    manifest: failing.version.manifest,
  };
  return {
    automation: { id: automation.id, name: automation.name },
    manifest: failing.version.manifest as unknown as Manifest,
    version: { number: version.number, source: version.source, language: version.language },
    failing: {
      runId: repair.runId,
      input: failing.run.input,
      recording: failingRecording(failing.recording),
    },
    successes,
    request: buildRepairRequest({
      automation: { id: automation.id, name: automation.name },
      version,
      failing: {
        input: failing.run.input,
        error: failing.error,
        classification: failing.classification,
        recording: failing.recording,
      },
      successes,
    }),
  };
}

/** Whether the run still waits for this repair: repairing, on the attempt the repair is for. */
export async function runWaitsFor(
  runs: Pick<RunsRepository, 'get'>,
  workspaceId: string,
  repair: RepairRecord,
): Promise<boolean> {
  const run = await runs.get(workspaceId, repair.runId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return null;
    throw error;
  });
  return run?.status === 'repairing' && run.attemptCount === repair.attempt;
}
