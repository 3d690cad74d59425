import type { Logger } from '@nestjs/common';
import type { ScheduleSync } from '@mendflow/triggers';
import type { AuditRepository, AutomationsRepository, RepairRecord, RepairsRepository } from '@mendflow/db';
import type { RunEngine } from '@mendflow/engine';
import type { WorkerMetrics } from '../health/worker-metrics';
import type { CandidateValidator, ValidationReport } from './candidate-validator';
import type { RepairBudget } from './repair-budget.service';
import type { RepairCase } from './repair-case';
import type { RepairProvider } from './repair-provider';

/** What the steps of the repair loop use; RepairService hands them its own injected parts. */
export interface RepairDeps {
  provider: RepairProvider;
  repairs: RepairsRepository;
  automations: AutomationsRepository;
  audit: AuditRepository;
  validator: CandidateValidator;
  engine: RunEngine;
  metrics: WorkerMetrics;
  budget: RepairBudget;
  /** A deployed repair changes the automation's deployed version: its schedules follow. */
  schedules: Pick<ScheduleSync, 'syncAutomation'>;
  logger: Pick<Logger, 'log' | 'warn'>;
}

/** One step's input: the repair as last read (its status is the step's `from`) and its case. */
export interface RepairStepInput {
  workspaceId: string;
  repair: RepairRecord;
  case: RepairCase;
}

/**
 * A step does one job and stores its result with one status move (repair-machine.ts `moveRepair`).
 * True when it made the move; false when another delivery of the job moved the repair first (that
 * delivery goes on with it).
 */
export interface RepairStepHandler {
  run(input: RepairStepInput): Promise<boolean>;
}

/** The run a repair works for, as engine commands address it. */
export function runOf(workspaceId: string, repair: RepairRecord) {
  return { workspaceId, runId: repair.runId, automationId: repair.automationId };
}

/** The validation report in brief, as the repair.validated event and the inbox evidence show it. */
export function validationSummary(repairId: string, report: ValidationReport) {
  return {
    repairId,
    passed: report.passed,
    reason: report.reason ?? null,
    lintOk: report.lint.ok,
    failingReplay: report.failingReplay?.status ?? 'not run',
    regressionsChecked: report.regressions.length,
    regressionsBroken: report.regressions.filter((r) => !r.sameOutput).length,
  };
}
