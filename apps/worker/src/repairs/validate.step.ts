import { moveRepair } from './repair-machine';
import {
  type RepairDeps,
  type RepairStepHandler,
  type RepairStepInput,
  runOf,
  validationSummary,
} from './repair-step';

/**
 * `proposed` → `validated` or `failed`: lints the stored candidate and replays it against the failing
 * attempt's recording and up to 5 recent successes (candidate-validator.ts). The report is stored with
 * the move; event `repair.validated`.
 */
export class ValidateStep implements RepairStepHandler {
  constructor(private readonly deps: RepairDeps) {}

  async run({ workspaceId, repair, case: facts }: RepairStepInput): Promise<boolean> {
    const { repairs, metrics } = this.deps;
    if (!repair.candidateSource) {
      const moved = await moveRepair(repairs, workspaceId, repair, 'failed', {
        error: 'the repair has no candidate source',
      });
      if (moved) metrics.repairs.inc({ result: 'failed' });
      return moved;
    }
    const report = await this.deps.validator.validate({
      candidate: repair.candidateSource,
      language: facts.version.language,
      manifest: facts.manifest,
      run: {
        id: repair.runId,
        attempt: repair.attempt,
        automationId: repair.automationId,
        version: facts.version.number,
        trigger: 'repair',
      },
      failing: facts.failing,
      successes: facts.successes,
    });
    const moved = report.passed
      ? await moveRepair(repairs, workspaceId, repair, 'validated', { validation: report })
      : await moveRepair(repairs, workspaceId, repair, 'failed', {
          validation: report,
          error: report.reason ?? 'validation failed',
        });
    if (!moved) return false;
    if (!report.passed) metrics.repairs.inc({ result: 'failed' });
    await this.deps.engine.note(runOf(workspaceId, repair), {
      type: 'repair.validated',
      data: validationSummary(repair.id, report),
    });
    return true;
  }
}
