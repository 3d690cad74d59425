import { Inject, Injectable, Logger } from '@nestjs/common';
import { addLogContext } from '@mendflow/common';
import { ScheduleSync } from '@mendflow/triggers';
import {
  AuditRepository,
  AutomationsRepository,
  type RepairRecord,
  RepairsRepository,
  RunExecutionRepository,
  RunsRepository,
} from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import { WorkerMetrics } from '../health/worker-metrics';
import { CandidateValidator } from './candidate-validator';
import { ATTR, inSpan, runAttributes } from '@mendflow/telemetry';
import { DecideStep } from './decide.step';
import { ProposeStep } from './propose.step';
import { RepairBudget } from './repair-budget.service';
import { loadRepairCase, type RepairCase, runWaitsFor } from './repair-case';
import { isResting, moveRepair, type RepairStep, type RestingStatus, stepFor } from './repair-machine';
import { RepairOutcome } from './repair-outcome';
import { REPAIR_PROVIDER, type RepairProvider } from './repair-provider';
import type { RepairDeps, RepairStepHandler } from './repair-step';
import { ValidateStep } from './validate.step';

/** requested → proposed → validated → resting: three steps; more means a step stopped moving the repair. */
const MAX_STEPS = 6;

export const RUN_STOPPED_WAITING = 'the run is no longer waiting for this repair';

/**
 * Drives one repair through its machine (repair-machine.ts): reads the repair, runs the step for its
 * stored status (propose, validate, decide), reads it again, and so on until it rests (deployed,
 * awaiting_approval, failed, rejected); then RepairOutcome makes the run follow. Every step stores
 * its status, so a job redelivered after a worker died goes on from the last stored status, and a
 * repair that already rests only has its outcome applied again (which changes nothing twice). A step
 * whose move another delivery made first stops this one: that delivery carries the repair on.
 */
@Injectable()
export class RepairService {
  private readonly logger = new Logger('Repair');
  private readonly steps: Record<RepairStep, RepairStepHandler>;
  private readonly outcome: RepairOutcome;

  constructor(
    @Inject(REPAIR_PROVIDER) provider: RepairProvider,
    private readonly repairs: RepairsRepository,
    private readonly automations: AutomationsRepository,
    private readonly execution: RunExecutionRepository,
    audit: AuditRepository,
    validator: CandidateValidator,
    engine: RunEngine,
    metrics: WorkerMetrics,
    budget: RepairBudget,
    private readonly runs: RunsRepository,
    schedules: ScheduleSync,
  ) {
    const deps: RepairDeps = {
      provider,
      repairs,
      automations,
      audit,
      validator,
      engine,
      metrics,
      budget,
      schedules,
      logger: this.logger,
    };
    this.steps = {
      propose: new ProposeStep(deps),
      validate: new ValidateStep(deps),
      decide: new DecideStep(deps),
    };
    this.outcome = new RepairOutcome(deps, runs);
  }

  async process(workspaceId: string, repairId: string): Promise<void> {
    let repair = await this.repairs.get(workspaceId, repairId);
    addLogContext({ runId: repair.runId, attempt: repair.attempt, automationId: repair.automationId });
    let facts: RepairCase | null | undefined;
    for (let steps = 0; !isResting(repair.status); steps++) {
      const step = stepFor(repair.status)!;
      if (steps === MAX_STEPS)
        throw new Error(`repair ${repair.id} is still ${repair.status} after ${steps} steps`);
      facts ??= await loadRepairCase(
        { execution: this.execution, automations: this.automations },
        workspaceId,
        repair,
      );
      const moved =
        !facts || !(await runWaitsFor(this.runs, workspaceId, repair))
          ? await moveRepair(this.repairs, workspaceId, repair, 'failed', { error: RUN_STOPPED_WAITING })
          : await this.traced(step, repair, () =>
              this.steps[step].run({ workspaceId, repair, case: facts! }),
            );
      if (!moved) {
        // Another delivery of this job is working on the repair right now (its move came first).
        this.logger.warn(
          `repair ${repair.id}: another delivery moved it on from ${repair.status}; leaving it`,
        );
        return;
      }
      const before = repair.status;
      repair = await this.repairs.get(workspaceId, repairId);
      if (repair.status === before) {
        throw new Error(`repair ${repair.id}: the ${step} step left it ${before}`);
      }
    }
    await this.outcome.settle(workspaceId, repair as RepairRecord & { status: RestingStatus });
  }

  /** One step as a span (repair.propose, repair.validate, repair.decide), named by ids only. */
  private traced<T>(step: RepairStep, repair: RepairRecord, run: () => Promise<T>): Promise<T> {
    return inSpan(
      `repair.${step}`,
      {
        attributes: {
          ...runAttributes({
            automationId: repair.automationId,
            runId: repair.runId,
            attempt: repair.attempt,
          }),
          [ATTR.repairId]: repair.id,
          'mendflow.repair.status': repair.status,
        },
      },
      run,
    );
  }
}
