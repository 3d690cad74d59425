import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, secretContext } from '@mendflow/common';
import {
  HostStateRepository,
  retryWhileDatabaseUnavailable,
  RunsRepository,
  SecretsRepository,
  type StartedAttempt,
} from '@mendflow/db';
import { EventRouter } from '@mendflow/engine';
import type { EmitOutcome, EmitRequest, HostServices } from '@mendflow/sandbox';

export const SECRET_BOX = Symbol('mendflow.secret-box');

/**
 * How long a step's result waits for PostgreSQL to come back before the attempt gives up on it. The
 * step's side effect already happened: an attempt that failed here would make the next one apply it
 * again, so the store outlasts a database restart (the attempt's own time limit still bounds it).
 */
export const STEP_STORE_PATIENCE_MS = 30_000;

/**
 * The durable side of ctx for one attempt: secrets (decrypted here, redacted by the sandbox), kv, steps,
 * and events (ctx.emit, routed here with the attempt's run as the source).
 */
@Injectable()
export class HostServicesFactory {
  constructor(
    private readonly secrets: SecretsRepository,
    private readonly state: HostStateRepository,
    private readonly runs: RunsRepository,
    private readonly events: EventRouter,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  forAttempt(attempt: StartedAttempt): HostServices {
    const { workspaceId, automationId, runId } = attempt;
    return {
      secrets: {
        get: async (name) => {
          const ciphertext = await this.secrets.getCiphertext(workspaceId, name);
          return ciphertext === undefined
            ? undefined
            : this.box.open(ciphertext, secretContext(workspaceId, name));
        },
      },
      kv: {
        get: (key) => this.state.getKv(workspaceId, automationId, key),
        set: (key, value) => this.state.setKv(workspaceId, automationId, key, value),
        delete: (key) => this.state.deleteKv(workspaceId, automationId, key),
      },
      steps: {
        get: (name) => this.state.getStep(workspaceId, runId, name),
        put: (name, value) =>
          retryWhileDatabaseUnavailable(
            () => this.state.putStep(workspaceId, runId, name, attempt.attempt, value),
            STEP_STORE_PATIENCE_MS,
          ),
      },
      events: { emit: (request) => this.emit(attempt, request) },
    };
  }

  private async emit(attempt: StartedAttempt, request: EmitRequest): Promise<EmitOutcome> {
    const { workspaceId, automationId, runId } = attempt;
    // Read per emit, not per attempt: most attempts never emit.
    const { triggerContext } = await this.runs.get(workspaceId, runId);
    const outcome = await this.events.emit(workspaceId, {
      name: request.name,
      payload: request.payload,
      source: { runId, automationId, triggerContext, key: request.key },
    });
    if (!outcome.ok) return { ok: false, code: outcome.code, message: outcome.message };
    return {
      ok: true,
      value: {
        eventId: outcome.event.id,
        runs: outcome.runs.length,
        skipped: outcome.skipped.map(({ automationId: id, reason }) => ({ automationId: id, reason })),
      },
    };
  }
}
