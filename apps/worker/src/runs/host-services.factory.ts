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
import type { EmitOutcome, EmitRequest, FetchObservation, HostServices } from '@mendflow/sandbox';
import { ATTR, inSpan, runAttributes, tracer } from '@mendflow/telemetry';
import { type Attributes, type Context, context, SpanKind, SpanStatusCode } from '@opentelemetry/api';

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

  /**
   * Each call runs in a span (ctx.secrets.get, ctx.kv.get …) under the attempt's: the context is taken
   * now, inside the attempt's span, because a sandbox process's calls arrive from an IPC message
   * handler, which does not carry it. Spans name the secret (declared in the manifest), never a value,
   * a key or a step name (those may be built from the run's input).
   */
  forAttempt(attempt: StartedAttempt): HostServices {
    const { workspaceId, automationId, runId } = attempt;
    const parent = context.active();
    const base = runAttributes(attempt);
    const traced = <T>(name: string, fn: () => Promise<T>, attributes: Attributes = {}) =>
      inSpan(name, { attributes: { ...base, ...attributes } }, fn, parent);
    return {
      secrets: {
        get: (name) =>
          traced(
            'ctx.secrets.get',
            async () => {
              const ciphertext = await this.secrets.getCiphertext(workspaceId, name);
              return ciphertext === undefined
                ? undefined
                : this.box.open(ciphertext, secretContext(workspaceId, name));
            },
            { [ATTR.secretName]: name },
          ),
      },
      kv: {
        get: (key) => traced('ctx.kv.get', () => this.state.getKv(workspaceId, automationId, key)),
        set: (key, value) =>
          traced('ctx.kv.set', () => this.state.setKv(workspaceId, automationId, key, value)),
        delete: (key) => traced('ctx.kv.delete', () => this.state.deleteKv(workspaceId, automationId, key)),
      },
      steps: {
        get: (name) => traced('ctx.step.get', () => this.state.getStep(workspaceId, runId, name)),
        put: (name, value) =>
          traced('ctx.step.put', () =>
            retryWhileDatabaseUnavailable(
              () => this.state.putStep(workspaceId, runId, name, attempt.attempt, value),
              STEP_STORE_PATIENCE_MS,
            ),
          ),
      },
      events: {
        emit: (request) =>
          traced('ctx.emit', () => this.emit(attempt, request), { 'mendflow.event.name': request.name }),
      },
      fetched: (observation) => fetchSpan(parent, base, observation),
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

/**
 * A ctx.fetch as a CLIENT span, after the fact: the fetch ran where the isolate runs (a sandbox
 * process), which reports its start and duration. The path and query stay out (they may carry
 * secrets); the host, port, method and status are enough to find a slow or failing upstream.
 */
function fetchSpan(parent: Context, base: Attributes, observation: FetchObservation): void {
  const span = tracer.startSpan(
    'ctx.fetch',
    {
      kind: SpanKind.CLIENT,
      startTime: observation.startedAt,
      attributes: {
        ...base,
        'http.request.method': observation.method,
        'url.scheme': observation.scheme,
        'server.address': observation.host,
        'server.port': observation.port,
        ...(observation.status !== undefined && { 'http.response.status_code': observation.status }),
      },
    },
    parent,
  );
  if (observation.errorCode !== undefined) {
    span.setAttribute('error.type', observation.errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: observation.errorCode });
  } else if (observation.status !== undefined && observation.status >= 400) {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end(observation.startedAt + observation.durationMs);
}
