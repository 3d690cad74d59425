import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCodes,
  SecretBox,
  secretContext,
  signatureHeader,
  verifyWebhookSignature,
  WEBHOOK_IDEMPOTENCY_PREFIX,
} from '@mendflow/common';
import { type RunRecord, SecretsRepository, WebhooksRepository } from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { RunsService } from '../runs/runs.service';
import { SECRET_BOX } from '../secrets/secret-box.provider';
import { HookRateLimit } from './hook-rate-limit';
import { RunWaiter } from './run-waiter';
import { buildWebhookInput, parseWait } from './webhook-input';
import {
  generateWebhookToken,
  hashWebhookToken,
  webhookTokenMatches,
  webhookTokenPrefix,
} from './webhook-token';

export const hookPath = (automationId: string, token: string) => `/api/v1/hooks/${automationId}/${token}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One answer for every URL that starts nothing: unknown automation, wrong or rotated token, no webhook
 * trigger deployed, paused or deleted. A caller cannot tell them apart (no oracle for automation ids).
 */
const noHook = () => new DomainError(ErrorCodes.NOT_FOUND, 'not_found', 'no webhook at this URL');

export interface HookRequest {
  automationId: string;
  token: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
}

export interface HookOutcome {
  run: RunRecord;
  /** False when the Idempotency-Key matched an earlier request: this is that request's run. */
  created: boolean;
  /** Set for `?wait=`: whether the run settled within it (the run is then as it settled). */
  waited: { settled: boolean } | null;
}

/** Webhooks: the token behind an automation's hook URL, and the requests that arrive there. */
@Injectable()
export class HooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: SecretsRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly runs: RunsService,
    private readonly rateLimit: HookRateLimit,
    private readonly waiter: RunWaiter,
    private readonly audit: AuditTrail,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async describe(principal: Principal, automationId: string) {
    const info = await this.webhooks.getTokenInfo(principal.workspaceId, automationId);
    const signature = info.trigger?.signature;
    return {
      enabled: info.trigger !== null,
      hasToken: info.tokenPrefix !== null,
      tokenPrefix: info.tokenPrefix,
      createdAt: info.createdAt?.toISOString() ?? null,
      urlTemplate: hookPath(automationId, '<token>'),
      headers: info.trigger?.headers ?? [],
      signature: signature
        ? {
            scheme: signature.scheme,
            header: signatureHeader(signature),
            secret: signature.secret,
            toleranceSeconds: signature.toleranceSeconds,
          }
        : null,
    };
  }

  /** Creates or replaces the token; the previous one answers 404 from this moment. Shown once. */
  async rotateToken(principal: Principal, automationId: string) {
    const token = generateWebhookToken();
    const tokenPrefix = webhookTokenPrefix(token);
    const { createdAt, rotated } = await this.webhooks.setToken(principal.workspaceId, automationId, {
      hash: hashWebhookToken(token),
      prefix: tokenPrefix,
    });
    await this.audit.record(principal, {
      action: rotated ? 'automation.webhook_token_rotated' : 'automation.webhook_token_created',
      targetKind: 'automation',
      targetId: automationId,
      data: { tokenPrefix },
    });
    return { token, path: hookPath(automationId, token), tokenPrefix, createdAt: createdAt.toISOString() };
  }

  /**
   * A request to a hook URL, checked in this order: the URL (404), the per-hook rate limit (429), `wait`
   * (400), the signature (401), the body and the input schema (400/415), then the run is recorded with
   * the Idempotency-Key. With `?wait=`, the run is awaited up to that many seconds.
   */
  async receive(request: HookRequest): Promise<HookOutcome> {
    const target = UUID.test(request.automationId)
      ? await this.webhooks.findTarget(request.automationId)
      : null;
    // The token is compared even when there is nothing to compare it with, so each refusal costs the same.
    const tokenOk = webhookTokenMatches(request.token, target?.tokenHash ?? null);
    if (!target || !tokenOk || !target.trigger) throw noHook();
    const { workspaceId, automationId, trigger } = target;

    await this.rateLimit.consume(automationId);
    const wait = parseWait(request.query.wait, this.config.WEBHOOK_MAX_WAIT_SECONDS);

    if (trigger.signature) {
      const ciphertext = await this.secrets.getCiphertext(workspaceId, trigger.signature.secret);
      if (ciphertext === undefined) {
        // Fail closed. Saying why tells the sender nothing about the key, and tells the owner what to fix.
        throw new DomainError(
          ErrorCodes.WEBHOOK_SIGNATURE_INVALID,
          'unauthenticated',
          'the signing secret of this webhook is not set in its workspace; nothing was started',
        );
      }
      const secret = this.box.open(ciphertext, secretContext(workspaceId, trigger.signature.secret));
      const verdict = verifyWebhookSignature(trigger.signature, {
        rawBody: request.rawBody,
        headers: request.headers,
        secret,
        now: new Date(),
      });
      if (!verdict.ok) {
        throw new DomainError(verdict.code, 'unauthenticated', `${verdict.reason}; nothing was started`);
      }
    }

    const input = buildWebhookInput({
      rawBody: request.rawBody,
      headers: request.headers,
      query: request.query,
      selectedHeaders: trigger.headers,
    });
    const idempotencyKey = idempotencyHeader(request.headers['idempotency-key']);
    let started: { run: RunRecord; created: boolean };
    try {
      started = await this.runs.startTriggered(workspaceId, automationId, {
        trigger: 'webhook',
        input,
        idempotencyKey: idempotencyKey && `${WEBHOOK_IDEMPOTENCY_PREFIX}${idempotencyKey}`,
        triggerContext: { kind: 'webhook', contentType: input.contentType },
      });
    } catch (error) {
      throw hookError(error);
    }
    if (wait === null) return { ...started, waited: null };
    const run = await this.waiter.wait(workspaceId, started.run.id, wait * 1000);
    return { run, created: started.created, waited: { settled: this.waiter.isSettled(run.status) } };
  }
}

/** The Idempotency-Key header: 1 to 200 visible characters, like the API's idempotencyKey. */
function idempotencyHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new DomainError(
      ErrorCodes.VALIDATION_FAILED,
      'invalid',
      'Idempotency-Key: must be 1 to 200 visible ASCII characters',
      { issues: [{ path: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' }] },
    );
  }
  return key;
}

/**
 * Errors of starting the run, as a sender should see them: a pause or deletion that raced the request
 * is the same 404 as any URL that starts nothing; a reused key names the header, not the API's field.
 */
function hookError(error: unknown): unknown {
  if (!(error instanceof DomainError)) return error;
  if (error.code === ErrorCodes.AUTOMATION_PAUSED || error.code === ErrorCodes.AUTOMATION_NOT_FOUND)
    return noHook();
  if (error.code === ErrorCodes.IDEMPOTENCY_KEY_REUSED) {
    const runId = (error.details as { runId?: string } | undefined)?.runId;
    return new DomainError(
      error.code,
      'conflict',
      `Idempotency-Key: this key started run ${runId} with a different input; use a new key for a new request`,
      { field: 'Idempotency-Key', runId },
    );
  }
  return error;
}
