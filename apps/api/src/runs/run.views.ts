import type { AttemptRecord, RunEventRecord, RunRecord } from '@mendflow/db';
import { waitingFor } from './waiting-for';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function runSummaryView(run: RunRecord) {
  return {
    id: run.id,
    automationId: run.automationId,
    automationName: run.automationName,
    versionId: run.versionId,
    versionNumber: run.versionNumber,
    status: run.status,
    trigger: run.trigger,
    attemptCount: run.attemptCount,
    priority: run.priority,
    waitingFor: waitingFor(run),
    error: run.error ? { name: run.error.name, message: run.error.message } : null,
    nextAttemptAt: iso(run.nextAttemptAt),
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
  };
}

export function attemptView(attempt: AttemptRecord) {
  return {
    number: attempt.number,
    versionNumber: attempt.versionNumber,
    status: attempt.status,
    output: attempt.output ?? null,
    error: attempt.error,
    classification: attempt.classification ?? null,
    cost: {
      cpuMs: attempt.cpuMs,
      wallMs: attempt.wallMs,
      memoryBytes: attempt.memoryBytes,
      fetches: attempt.fetches,
    },
    startedAt: attempt.startedAt.toISOString(),
    finishedAt: iso(attempt.finishedAt),
  };
}

export function runView(run: RunRecord, attempts?: AttemptRecord[]) {
  return {
    ...runSummaryView(run),
    input: run.input ?? null,
    output: run.output ?? null,
    error: run.error,
    idempotencyKey: run.idempotencyKey,
    triggerContext: run.triggerContext,
    ...(attempts && { attempts: attempts.map(attemptView) }),
  };
}

export function runEventView(event: RunEventRecord) {
  return { seq: event.seq, type: event.type, data: event.data, createdAt: event.createdAt.toISOString() };
}
