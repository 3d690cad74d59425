import { createTwoFilesPatch } from 'diff';
import { moveRepair } from './repair-machine';
import type { RepairProposal } from './repair-provider';
import { type RepairDeps, type RepairStepHandler, type RepairStepInput, runOf } from './repair-step';

/** The longest a provider may take for one proposal. */
export const PROPOSAL_TIMEOUT_MS = 10 * 60_000;

/**
 * `requested` → `proposed`: asks the provider for a new source and stores it with its diff, prompt,
 * answer, tokens and cost (event and audit entry `repair.proposed`). A provider that fails →
 * `failed`, with the tokens it reports having spent. The provider is asked only from `requested`: once
 * a candidate is stored the repair is `proposed`, and a redelivered job goes on from there.
 */
export class ProposeStep implements RepairStepHandler {
  constructor(private readonly deps: RepairDeps) {}

  async run({ workspaceId, repair, case: facts }: RepairStepInput): Promise<boolean> {
    const { provider, repairs, budget, metrics } = this.deps;
    let proposal: RepairProposal;
    try {
      proposal = await provider.propose(facts.request, AbortSignal.timeout(PROPOSAL_TIMEOUT_MS));
    } catch (cause) {
      const usage = (cause as { usage?: { promptTokens: number; completionTokens: number } }).usage;
      const message = `the ${provider.name} repair provider failed: ${(cause as Error).message}`;
      const costUsd = usage ? budget.costOf(usage) : null;
      const moved = await moveRepair(repairs, workspaceId, repair, 'failed', {
        error: message,
        ...usage,
        ...(usage && { costUsd }),
      });
      if (moved) {
        metrics.repairs.inc({ result: 'failed' });
        if (usage) metrics.recordRepairUsage(usage, costUsd);
      }
      return moved;
    }

    const diff = createTwoFilesPatch(
      'script.js',
      'script.js',
      facts.version.source,
      proposal.source,
      `version ${facts.version.number}`,
      'repair candidate',
    );
    const costUsd = budget.costOf(proposal);
    const moved = await moveRepair(repairs, workspaceId, repair, 'proposed', {
      model: proposal.model ?? null,
      candidateSource: proposal.source,
      diff,
      explanation: proposal.explanation,
      prompt: proposal.prompt,
      answer: proposal.answer,
      promptTokens: proposal.promptTokens,
      completionTokens: proposal.completionTokens,
      costUsd,
    });
    if (!moved) return false;
    // Counted once, by the delivery whose move stored them (a repeated job stores and counts nothing).
    metrics.recordRepairUsage(proposal, costUsd);
    await this.deps.engine.note(runOf(workspaceId, repair), {
      type: 'repair.proposed',
      data: {
        repairId: repair.id,
        provider: provider.name,
        model: proposal.model ?? null,
        explanation: proposal.explanation,
        tokens: proposal.promptTokens + proposal.completionTokens,
      },
    });
    await this.deps.audit.record(workspaceId, {
      actorKind: 'repair',
      actorId: repair.id,
      action: 'repair.proposed',
      targetKind: 'run',
      targetId: repair.runId,
      data: { provider: provider.name, model: proposal.model ?? null },
    });
    return true;
  }
}
