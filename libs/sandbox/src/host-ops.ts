/**
 * The host side of ctx: secrets, kv, steps, emit and fetch. Every request arrives as a string from the
 * isolate and is validated here as untrusted input; every answer goes back as plain data. In record
 * mode the calls reach the world (HostServices, the network) and are recorded; in replay mode they are
 * served from the recording, and nothing is written anywhere. A resume serves the recording's calls
 * the same way up to the wait the run stopped at, then goes live (waits.ts, recording.ts Replayer).
 *
 * Validation comes before anything is stored, recorded or sent: type and shape (INVALID_REQUEST),
 * size (NAME_TOO_LONG, KV_VALUE_TOO_LARGE, URL_TOO_LONG …, the bounds of limits.ts, which the
 * isolate applies first) and characters PostgreSQL cannot store (INVALID_CHARACTERS: a NUL or a lone
 * surrogate in a name, key, URL, method or header, or in any string or key of a kv value or step
 * result). A refused call is an error inside the script, never a failed query on the host. A fetch
 * body is sent, never stored, so it may hold any character (a lone surrogate is sent as U+FFFD, as
 * UTF-8 encoding and browsers' fetch do).
 */
import type { Manifest } from '@mendflow/common';
import { EVENT_NAME_PATTERN } from '@mendflow/contracts/triggers';
import {
  describeCharacter,
  findUnstorable,
  nestedDeeperThan,
  unstorableCharacter,
} from '@mendflow/common/storable';
import { FetchFailure, httpFetch, type FetchEnvironment } from './fetch/http-fetch';
import type { HostMatcher } from '@mendflow/common/host-patterns';
import type { EffectiveLimits } from './limits';
import { HOST_CALL_BOUNDS, limitError } from './limits';
import {
  CallLog,
  isResolvedWait,
  ReplayMismatch,
  waitCallKey,
  type CallKey,
  type RecordOf,
  type Replayer,
} from './recording';
import { OpError, type ErrorInfo } from './op-error';
import type { Redactor } from './redaction';
import type {
  AttemptError,
  FetchObservation,
  HostCallRecord,
  HostServices,
  LimitKind,
  WaitRequest,
} from './types';
import { ApprovalCapsGuard, effectiveCaps, parseWait } from './waits';

/** What a script receives for a declared, present secret during a replay: never the real value. */
export type { ErrorInfo };

export const REPLAY_SECRET_PLACEHOLDER = 'mendflow-replay-secret-placeholder';

export type OpReply = { ok: true; value?: unknown } | { ok: false; error: ErrorInfo };

/** A reply, and the record whose completion moves the script's clock (none: the clock stays). */
export interface OpOutcome {
  reply: OpReply;
  record?: HostCallRecord;
  /** The script asked to wait and must suspend: the attempt ends `waiting` instead of replying. */
  suspend?: WaitRequest;
  /** This reply is where a resume goes live: from here on the attempt's own counters start. */
  live?: true;
}

export interface OpEnvironment {
  manifest: Manifest;
  limits: EffectiveLimits;
  host: HostServices;
  log: CallLog;
  /** Serves a replay, or a resume until it goes live. */
  replay: Replayer | undefined;
  /** The script's clock: what Date.now() shows in the isolate now. */
  now: () => number;
  redactor: Redactor;
  hostAllowed: HostMatcher;
  fetchEnvironment: () => FetchEnvironment;
  /** A policy refusal or replay mismatch: the attempt fails with it even if the script catches it. */
  onViolation: (error: AttemptError) => void;
  /** A limit breach: the attempt ends now. */
  onLimit: (kind: LimitKind, error: AttemptError) => void;
  onHostError: (error: unknown, op: string) => void;
}

export const HOST_OPS = new Set([
  'secret',
  'kv.get',
  'kv.set',
  'kv.delete',
  'step.get',
  'step.put',
  'emit',
  'fetch',
  'wait',
]);

const ERROR_NAMES: Record<FetchFailure['kind'], string> = {
  policy: 'PolicyError',
  request: 'TypeError',
  network: 'NetworkError',
};
const POLICY_FETCH_CODES = new Set([
  'HOST_NOT_ALLOWED',
  'PRIVATE_ADDRESS',
  'UNSUPPORTED_PROTOCOL',
  'APPROVAL_CAP_EXCEEDED',
]);

export class HostOps {
  /** Fetches of this attempt; a resume counts from where it goes live (its prefix was counted before). */
  private fetches = 0;
  /** Step records waiting for their result (step.get said "not cached"; step.put completes them). */
  private readonly openSteps = new Map<string, RecordOf<'step'>>();
  /** The caps of the last approval, on every fetch after it. */
  private caps: ApprovalCapsGuard | undefined;
  /**
   * ctx.emit calls so far, served ones included: an emit's memo key is its ordinal (and name), which a
   * retry or a resume reaches again by making the same calls in the same order.
   */
  private emits = 0;
  /** The answer for the wait a resume continues from (AttemptResume.answer, checked and copied). */
  private resumeAnswer: unknown;

  constructor(private readonly env: OpEnvironment) {}

  get fetchCount(): number {
    return this.fetches;
  }

  setResumeAnswer(answer: unknown): void {
    this.resumeAnswer = answer;
  }

  /** Whether calls are served from a recording right now (a replay, or a resume before its wait). */
  get serving(): boolean {
    return this.env.replay?.serving === true;
  }

  /** The replayer while it serves; undefined once the attempt is live. */
  private get replay(): Replayer | undefined {
    return this.serving ? this.env.replay : undefined;
  }

  async handle(op: string, payload: string): Promise<OpOutcome> {
    try {
      switch (op) {
        case 'secret':
          return await this.secret(
            this.parseName(payload, 'ctx.secrets.get', 'name', HOST_CALL_BOUNDS.maxSecretNameLength),
          );
        case 'kv.get':
          return await this.kvGet(
            this.parseName(payload, 'ctx.kv.get', 'key', this.env.limits.maxKvKeyLength),
          );
        case 'kv.set':
          return await this.kvSet(payload);
        case 'kv.delete':
          return await this.kvDelete(
            this.parseName(payload, 'ctx.kv.delete', 'key', this.env.limits.maxKvKeyLength),
          );
        case 'step.get':
          return await this.stepGet(
            this.parseName(payload, 'ctx.step', 'name', this.env.limits.maxStepNameLength),
          );
        case 'step.put':
          return await this.stepPut(payload);
        case 'emit':
          return await this.emit(payload);
        case 'fetch':
          return await this.fetch(payload);
        case 'wait':
          return this.wait(payload);
        default:
          throw new OpError({
            name: 'TypeError',
            message: `unknown host call "${op}"`,
            code: 'INVALID_REQUEST',
          });
      }
    } catch (error) {
      if (error instanceof OpError) return { reply: { ok: false, error: error.info } };
      if (error instanceof ReplayMismatch) {
        const info = { name: error.errorName, message: error.message, code: error.code };
        this.env.onViolation(info);
        return { reply: { ok: false, error: info } };
      }
      this.env.onHostError(error, op);
      return {
        reply: {
          ok: false,
          error: {
            name: 'HostServiceError',
            message: `${label(op)} failed on the host (storage unavailable)`,
            code: 'HOST_SERVICE_ERROR',
          },
        },
      };
    }
  }

  // ---- secrets ------------------------------------------------------------------------------------------
  private async secret(name: string): Promise<OpOutcome> {
    const { log } = this.env;
    const replay = this.replay;
    const call: CallKey & { kind: 'secret' } = {
      kind: 'secret',
      key: name,
      description: `ctx.secrets.get("${name}")`,
    };
    if (!(this.env.manifest.permissions?.secrets ?? []).includes(name)) {
      replay?.skipIf(call);
      const record = log.push({ kind: 'secret', name, present: false, denied: 'SECRET_NOT_DECLARED' });
      const error = {
        name: 'PolicyError',
        code: 'SECRET_NOT_DECLARED',
        message: `secret "${name}" is not declared: add it to permissions.secrets in the manifest`,
      };
      this.env.onViolation(error);
      return { reply: { ok: false, error }, record };
    }
    let value: string | undefined;
    let record: RecordOf<'secret'>;
    if (replay) {
      const recorded = replay.take(call);
      if (recorded.denied) {
        throw new ReplayMismatch(
          `Replay mismatch: secret "${name}" was not declared when the attempt was recorded, so its presence is unknown`,
        );
      }
      record = log.push(recorded);
      value = recorded.present ? await this.servedSecret(record) : undefined;
    } else {
      record = log.push({ kind: 'secret', name, present: false });
      const found = await this.env.host.secrets.get(name);
      value = typeof found === 'string' ? found : undefined;
      record.present = value !== undefined;
    }
    if (value === undefined) {
      return {
        reply: {
          ok: false,
          error: {
            name: 'AuthError',
            code: 'SECRET_MISSING',
            message: `secret "${name}" is declared but has no value: set it (PUT /api/v1/secrets/${name}) and retry`,
          },
        },
        record,
      };
    }
    this.env.redactor.add(value);
    return { reply: { ok: true, value }, record };
  }

  /**
   * A secret a recording says was present. A replay never sees real values; a resume runs the real
   * thing, so it reads the value again (the recording holds presence only), and if the secret was
   * removed meanwhile the script learns that as it would on any attempt.
   */
  private async servedSecret(record: RecordOf<'secret'>): Promise<string | undefined> {
    if (this.env.replay?.mode !== 'resume') return REPLAY_SECRET_PLACEHOLDER;
    const found = await this.env.host.secrets.get(record.name);
    record.present = typeof found === 'string';
    return typeof found === 'string' ? found : undefined;
  }

  // ---- kv -------------------------------------------------------------------------------------------------
  private async kvGet(key: string): Promise<OpOutcome> {
    const { log } = this.env;
    const replay = this.replay;
    if (replay) {
      const recorded = log.push(replay.take({ kind: 'kv.get', key, description: `ctx.kv.get("${key}")` }));
      return { reply: { ok: true, value: recorded.value }, record: recorded };
    }
    const record = log.push({ kind: 'kv.get', key, value: undefined as unknown });
    const value = this.hostData(await this.env.host.kv.get(key));
    record.value = value;
    return { reply: { ok: true, value }, record };
  }

  private async kvSet(payload: string): Promise<OpOutcome> {
    const { limits, log } = this.env;
    const replay = this.replay;
    if (payload.length > limits.maxKvValueBytes + limits.maxKvKeyLength + 64) {
      throw new OpError({
        name: 'RangeError',
        message: `ctx.kv.set: the value is larger than ${limits.maxKvValueBytes} bytes`,
        code: 'KV_VALUE_TOO_LARGE',
      });
    }
    const body = parseObject(payload, 'ctx.kv.set');
    const key = checkName(body.key, 'ctx.kv.set', 'key', limits.maxKvKeyLength);
    checkStorableValue(body.value, 'ctx.kv.set', 'the value', limits.maxDepth);
    if (Buffer.byteLength(JSON.stringify(body.value) ?? '') > limits.maxKvValueBytes) {
      throw new OpError({
        name: 'RangeError',
        message: `ctx.kv.set: the value is larger than ${limits.maxKvValueBytes} bytes`,
        code: 'KV_VALUE_TOO_LARGE',
      });
    }
    if (replay) {
      const recorded = log.push(replay.take({ kind: 'kv.set', key, description: `ctx.kv.set("${key}")` }));
      return { reply: { ok: true }, record: recorded };
    }
    const record = log.push({ kind: 'kv.set', key });
    await this.env.host.kv.set(key, body.value);
    return { reply: { ok: true }, record };
  }

  private async kvDelete(key: string): Promise<OpOutcome> {
    const { log } = this.env;
    const replay = this.replay;
    if (replay) {
      const recorded = log.push(
        replay.take({ kind: 'kv.delete', key, description: `ctx.kv.delete("${key}")` }),
      );
      return { reply: { ok: true }, record: recorded };
    }
    const record = log.push({ kind: 'kv.delete', key });
    await this.env.host.kv.delete(key);
    return { reply: { ok: true }, record };
  }

  // ---- steps ----------------------------------------------------------------------------------------------
  private async stepGet(name: string): Promise<OpOutcome> {
    const { log } = this.env;
    const replay = this.replay;
    let record: RecordOf<'step'>;
    if (replay) {
      record = log.push(replay.take({ kind: 'step', key: name, description: `ctx.step("${name}")` }));
    } else {
      record = log.push({ kind: 'step', name, cached: false });
      const stored = await this.env.host.steps.get(name);
      if (stored.found) {
        record.cached = true;
        record.value = this.hostData(stored.value);
      }
    }
    if (record.cached) return { reply: { ok: true, value: { found: true, value: record.value } }, record };
    this.openSteps.set(name, record);
    return { reply: { ok: true, value: { found: false } }, record };
  }

  private async stepPut(payload: string): Promise<OpOutcome> {
    const { limits } = this.env;
    if (payload.length > limits.maxResultBytes + limits.maxStepNameLength + 64) {
      throw new OpError({
        name: 'RangeError',
        message: `ctx.step: the result is larger than ${limits.maxResultBytes} bytes`,
        code: 'STEP_RESULT_TOO_LARGE',
      });
    }
    const body = parseObject(payload, 'ctx.step');
    const name = checkName(body.name, 'ctx.step', 'name', limits.maxStepNameLength);
    checkStorableValue(body.value, `ctx.step("${name}")`, 'the result', limits.maxDepth);
    const record = this.openSteps.get(name);
    if (!record)
      throw new OpError({
        name: 'TypeError',
        message: `ctx.step("${name}") stored a result it never started`,
        code: 'INVALID_REQUEST',
      });
    this.openSteps.delete(name);
    const value = body.value === undefined ? null : body.value;
    if (!this.replay) await this.env.host.steps.put(name, value);
    record.value = value;
    // No record of its own and no clock movement: step.get's record carries the step.
    return { reply: { ok: true } };
  }

  // ---- emit -----------------------------------------------------------------------------------------------
  /**
   * Memoized like a step, by the event row itself (HostServices.events.emit): a retry reaches the same
   * key and gets the stored event. A replay or a resume's prefix is served from the recording, so
   * nothing is emitted. A refusal by policy fails the attempt even if the script catches it.
   */
  private async emit(payload: string): Promise<OpOutcome> {
    const { limits, log } = this.env;
    const replay = this.replay;
    if (payload.length > limits.maxKvValueBytes + 6 * EVENT_NAME_MAX + 64) throw payloadTooLarge(limits);
    const body = parseObject(payload, 'ctx.emit');
    const name = checkName(body.name, 'ctx.emit', 'event name', EVENT_NAME_MAX);
    if (!EVENT_NAME_PATTERN.test(name)) {
      throw new OpError({
        name: 'TypeError',
        message: `ctx.emit: "${name}" is not an event name: use lower-case letters, digits and . _ : - (at most ${EVENT_NAME_MAX} characters, starting with a letter or digit), such as "order.created"`,
        code: 'INVALID_EVENT_NAME',
      });
    }
    const value = body.payload === undefined ? null : body.payload;
    checkStorableValue(value, `ctx.emit("${name}")`, 'the payload', limits.maxDepth);
    if (Buffer.byteLength(JSON.stringify(value)) > limits.maxKvValueBytes) throw payloadTooLarge(limits);
    this.emits++;
    if (replay) {
      const recorded = log.push(replay.take({ kind: 'emit', key: name, description: `ctx.emit("${name}")` }));
      if (recorded.error)
        return { reply: { ok: false, error: this.emitRefusal(recorded.error) }, record: recorded };
      return { reply: { ok: true, value: recorded.value }, record: recorded };
    }
    const record = log.push<RecordOf<'emit'>>({ kind: 'emit', name });
    const outcome = await this.env.host.events.emit({ key: `${this.emits}:${name}`, name, payload: value });
    if (!outcome.ok) {
      record.error = { code: outcome.code, message: outcome.message };
      return { reply: { ok: false, error: this.emitRefusal(record.error) }, record };
    }
    const result = plainCopy(outcome.value) as RecordOf<'emit'>['value'];
    record.value = result;
    return { reply: { ok: true, value: result }, record };
  }

  private emitRefusal(error: { code: string; message: string }): ErrorInfo {
    const info = { name: 'PolicyError', message: error.message, code: error.code };
    this.env.onViolation(info);
    return info;
  }

  // ---- fetch ----------------------------------------------------------------------------------------------
  private async fetch(payload: string): Promise<OpOutcome> {
    const { limits, log, redactor } = this.env;
    const replay = this.replay;
    const request = parseFetchRequest(payload);
    const call: CallKey & { kind: 'fetch' } = {
      kind: 'fetch',
      key: `${request.method} ${redactor.text(request.url)}`,
      description: `ctx.fetch ${request.method} ${request.url}`,
    };
    const refusal = this.refuseLocally(request.url) ?? this.refuseByCaps(request.method, request.url);
    if (refusal) {
      replay?.skipIf(call);
      const record = log.push({
        kind: 'fetch',
        request: { method: request.method, url: request.url },
        error: { code: refusal.code, message: refusal.message },
        durationMs: 0,
      });
      return { reply: { ok: false, error: this.fetchError(refusal) }, record };
    }
    this.fetches++;
    if (this.fetches > limits.maxFetches) {
      const error = limitError(
        'fetches',
        `The script made more than ${limits.maxFetches} fetches (limits.maxFetches)`,
      );
      this.env.onLimit('fetches', error);
      return {
        reply: { ok: false, error: { name: error.name, message: error.message, code: error.code as string } },
      };
    }
    if (replay) {
      const recorded = log.push(replay.take(call));
      if (recorded.error) {
        const failure = new FetchFailure(
          recorded.error.code,
          recorded.error.message,
          kindOfCode(recorded.error.code),
        );
        return { reply: { ok: false, error: this.fetchError(failure) }, record: recorded };
      }
      if (!recorded.response)
        throw new ReplayMismatch(
          `Replay mismatch: the recorded ${call.description} has neither a response nor an error`,
        );
      const response = recorded.response;
      const finalUrl = response.url ?? request.url;
      return {
        reply: { ok: true, value: { ...response, url: finalUrl, redirected: response.url !== undefined } },
        record: recorded,
      };
    }
    const record: RecordOf<'fetch'> = log.push({
      kind: 'fetch',
      request: { method: request.method, url: request.url },
      durationMs: 0,
    });
    const started = performance.now();
    const startedAt = Date.now();
    let status: number | undefined;
    let errorCode: string | undefined;
    try {
      const response = await httpFetch(request, this.env.fetchEnvironment());
      status = response.status;
      record.response = {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        body: response.body,
        ...(response.redirected ? { url: response.url } : {}),
      };
      return { reply: { ok: true, value: response }, record };
    } catch (error) {
      const failure =
        error instanceof FetchFailure ? error : new FetchFailure('FETCH_FAILED', String(error), 'network');
      record.error = { code: failure.code, message: failure.message };
      errorCode = failure.code;
      return { reply: { ok: false, error: this.fetchError(failure) }, record };
    } finally {
      const durationMs = performance.now() - started;
      record.durationMs = Math.round(durationMs);
      this.observeFetch(request, { startedAt, durationMs, status, errorCode });
    }
  }

  private observeFetch(
    request: { method: string; url: string },
    outcome: Pick<FetchObservation, 'startedAt' | 'durationMs' | 'status' | 'errorCode'>,
  ): void {
    const observer = this.env.host.fetched;
    if (!observer) return;
    try {
      const url = new URL(request.url);
      const scheme = url.protocol.slice(0, -1);
      const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
      observer.call(this.env.host, {
        method: request.method,
        scheme,
        host: url.hostname,
        port,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        ...(outcome.status !== undefined && { status: outcome.status }),
        ...(outcome.errorCode !== undefined && { errorCode: outcome.errorCode }),
      });
    } catch {
      // Observing must not change the attempt.
    }
  }

  /** Refusals that need no network: a bad URL, a scheme other than http(s), a host not in the manifest. */
  private refuseLocally(text: string): FetchFailure | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return new FetchFailure(
        'INVALID_URL',
        `ctx.fetch: "${text.slice(0, 200)}" is not an absolute URL`,
        'request',
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return new FetchFailure(
        'UNSUPPORTED_PROTOCOL',
        `ctx.fetch only speaks http and https, not ${url.protocol}`,
        'policy',
      );
    }
    if (!this.env.hostAllowed(url)) {
      return new FetchFailure(
        'HOST_NOT_ALLOWED',
        `ctx.fetch to ${url.host} is not allowed: add it to permissions.hosts in the manifest`,
        'policy',
      );
    }
    return undefined;
  }

  /** After an approval, its caps (checked after the manifest, which they can only narrow). */
  private refuseByCaps(method: string, url: string): FetchFailure | undefined {
    const message = this.caps?.refusal(method, new URL(url));
    return message === undefined ? undefined : new FetchFailure('APPROVAL_CAP_EXCEEDED', message, 'policy');
  }

  // ---- waits ----------------------------------------------------------------------------------------------
  /**
   * Live, a wait is recorded without `at` and suspends the attempt (a sleepUntil whose time has come
   * resolves at once instead). Served from a recording, a resolved wait gets its recorded answer; the
   * unanswered one at the end suspends a replay again, and is where a resume gets its answer and goes
   * live.
   */
  private wait(payload: string): OpOutcome {
    const { log, manifest } = this.env;
    const parsed = parseWait(payload, this.env.now(), manifest.permissions?.hosts ?? []);
    const replay = this.replay;
    if (!replay) {
      const record = log.push({ kind: 'wait', wait: parsed.wait });
      return parsed.immediate
        ? { reply: { ok: true }, record }
        : { reply: { ok: true }, suspend: parsed.wait };
    }
    // Matched as recorded: redacted, like a fetch's URL (a title may quote a secret).
    const recorded = log.push(replay.take(waitCallKey(this.env.redactor.deep(structuredClone(parsed.wait)))));
    if (isResolvedWait(recorded)) return this.resolveWait(recorded, recorded.answer);
    if (replay.mode === 'replay') return { reply: { ok: true }, suspend: recorded.wait };
    // The wait the run stopped at (Replayer.start made sure it is the last record).
    const answer = this.resumeAnswer;
    if (recorded.wait.kind === 'approval') recorded.answer = answer;
    this.fetches = 0;
    return { ...this.resolveWait(recorded, answer), live: true };
  }

  private resolveWait(record: RecordOf<'wait'>, answer: unknown): OpOutcome {
    if (record.wait.kind !== 'approval') return { reply: { ok: true }, record };
    // Each approval decides what follows it: its caps replace those of an earlier approval.
    const caps = effectiveCaps(record.wait, answer);
    this.caps = caps ? new ApprovalCapsGuard(caps) : undefined;
    return { reply: { ok: true, value: answer }, record };
  }

  private fetchError(failure: FetchFailure): ErrorInfo {
    const info = { name: ERROR_NAMES[failure.kind], message: failure.message, code: failure.code };
    if (failure.kind === 'policy') this.env.onViolation(info);
    return info;
  }

  private parseName(payload: string, fn: string, what: string, max: number): string {
    // A name of `max` characters is at most 6 * max + 2 as JSON ("\u0000" per character, quotes).
    if (payload.length > 6 * max + 2) throw nameTooLong(fn, what, max);
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      throw invalid(fn);
    }
    return checkName(value, fn, what, max);
  }

  /**
   * A plain copy of what a host service returned, so the isolate and the recording see the same value.
   * Anything a script stored is at most maxDepth deep; deeper data never enters the recording.
   */
  private hostData(value: unknown): unknown {
    const copy = plainCopy(value);
    if (nestedDeeperThan(copy, this.env.limits.maxDepth))
      throw new Error(`a stored value is nested deeper than ${this.env.limits.maxDepth} levels`);
    return copy;
  }
}

function kindOfCode(code: string): FetchFailure['kind'] {
  if (POLICY_FETCH_CODES.has(code)) return 'policy';
  if (code === 'INVALID_URL' || code === 'INVALID_REQUEST' || code === 'REDIRECT_NOT_ALLOWED')
    return 'request';
  return 'network';
}

function label(op: string): string {
  return op === 'secret' ? 'ctx.secrets.get' : op.startsWith('step') ? 'ctx.step' : `ctx.${op}`;
}

const EVENT_NAME_MAX = HOST_CALL_BOUNDS.maxEventNameChars;

/** An event payload becomes its subscribers' run input: bounded like a kv value (limits.maxKvValueBytes). */
function payloadTooLarge(limits: EffectiveLimits): OpError {
  return new OpError({
    name: 'RangeError',
    message: `ctx.emit: the payload is larger than ${limits.maxKvValueBytes} bytes as JSON`,
    code: 'EVENT_PAYLOAD_TOO_LARGE',
  });
}

function invalid(fn: string): OpError {
  return new OpError({ name: 'TypeError', message: `${fn}: malformed request`, code: 'INVALID_REQUEST' });
}

function checkName(value: unknown, fn: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new OpError({
      name: 'TypeError',
      message: `${fn}: the ${what} must be a non-empty string of at most ${max} characters`,
      code: 'INVALID_REQUEST',
    });
  }
  if (value.length > max) throw nameTooLong(fn, what, max);
  checkCharacters(value, fn, `the ${what}`);
  return value;
}

function nameTooLong(fn: string, what: string, max: number): OpError {
  return new OpError({
    name: 'RangeError',
    message: `${fn}: the ${what} is longer than ${max} characters`,
    code: 'NAME_TOO_LONG',
  });
}

/** Refuses a string holding a character PostgreSQL cannot store; the message never quotes the string. */
function checkCharacters(text: string, fn: string, what: string): void {
  const problem = unstorableCharacter(text);
  if (problem) throw invalidCharacters(`${fn}: ${what} contains ${describeCharacter(problem)}`);
}

function invalidCharacters(message: string): OpError {
  return new OpError({
    name: 'TypeError',
    message: `${message}, which cannot be stored`,
    code: 'INVALID_CHARACTERS',
  });
}

/** A kv value or step result: stored as jsonb and read back exactly, so nothing in it may be replaced. */
function checkStorableValue(value: unknown, fn: string, what: string, maxDepth: number): void {
  const found = findUnstorable(value, maxDepth);
  if (!found) return;
  if (found.problem === 'depth') {
    throw new OpError({
      name: 'RangeError',
      message: `${fn}: ${what} is nested deeper than ${maxDepth} levels`,
      code: 'VALUE_TOO_DEEP',
    });
  }
  throw invalidCharacters(`${fn}: ${what} contains ${describeCharacter(found.problem)} at ${found.path}`);
}

function parseObject(payload: string, fn: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw invalid(fn);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(fn);
  return value as Record<string, unknown>;
}

function fetchTooLarge(code: 'URL_TOO_LONG' | 'HEADERS_TOO_LARGE' | 'REQUEST_TOO_LARGE', message: string) {
  return new OpError({ name: 'RangeError', message: `ctx.fetch: ${message}`, code });
}

function parseFetchRequest(payload: string): {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  redirect: 'follow' | 'manual' | 'error';
} {
  const bounds = HOST_CALL_BOUNDS;
  if (payload.length > bounds.maxFetchRequestChars) {
    throw fetchTooLarge(
      'REQUEST_TOO_LARGE',
      `the request is longer than ${bounds.maxFetchRequestChars} characters as JSON`,
    );
  }
  const body = parseObject(payload, 'ctx.fetch');
  const { url, method, headers, redirect } = body;
  if (typeof url !== 'string' || typeof method !== 'string') throw invalid('ctx.fetch');
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw invalid('ctx.fetch');
  if (body.body !== undefined && typeof body.body !== 'string') throw invalid('ctx.fetch');
  if (url.length > bounds.maxUrlChars)
    throw fetchTooLarge('URL_TOO_LONG', `the URL is longer than ${bounds.maxUrlChars} characters`);
  checkCharacters(url, 'ctx.fetch', 'the URL');
  if (method.length > bounds.maxMethodChars) {
    throw new OpError({
      name: 'TypeError',
      message: `ctx.fetch: init.method is longer than ${bounds.maxMethodChars} characters`,
      code: 'INVALID_REQUEST',
    });
  }
  checkCharacters(method, 'ctx.fetch', 'init.method');
  if (typeof body.body === 'string' && body.body.length > bounds.maxFetchBodyChars) {
    throw fetchTooLarge(
      'REQUEST_TOO_LARGE',
      `the request body is longer than ${bounds.maxFetchBodyChars} characters`,
    );
  }
  const cleanHeaders: Record<string, string> = {};
  if (headers !== null && typeof headers === 'object' && !Array.isArray(headers)) {
    const entries = Object.entries(headers);
    if (entries.length > bounds.maxHeaders)
      throw fetchTooLarge('HEADERS_TOO_LARGE', `more than ${bounds.maxHeaders} headers`);
    let chars = 0;
    for (const [name, value] of entries) {
      if (typeof value !== 'string') throw invalid('ctx.fetch');
      if (name.length > bounds.maxHeaderNameChars) {
        throw fetchTooLarge(
          'HEADERS_TOO_LARGE',
          `a header name is longer than ${bounds.maxHeaderNameChars} characters`,
        );
      }
      if (value.length > bounds.maxHeaderValueChars) {
        throw fetchTooLarge(
          'HEADERS_TOO_LARGE',
          `a header value is longer than ${bounds.maxHeaderValueChars} characters`,
        );
      }
      chars += name.length + value.length;
      if (chars > bounds.maxHeadersChars) {
        throw fetchTooLarge(
          'HEADERS_TOO_LARGE',
          `the headers are longer than ${bounds.maxHeadersChars} characters together`,
        );
      }
      checkCharacters(name, 'ctx.fetch', 'a header name');
      checkCharacters(value, 'ctx.fetch', 'a header value');
      Object.defineProperty(cleanHeaders, name.toLowerCase(), {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  } else if (headers !== undefined) {
    throw invalid('ctx.fetch');
  }
  return {
    url,
    method: method.toUpperCase(),
    headers: cleanHeaders,
    ...(typeof body.body === 'string' ? { body: body.body } : {}),
    redirect,
  };
}

/** A JSON copy of host data, so what the isolate receives and what is recorded are the same plain value. */
function plainCopy(value: unknown): unknown {
  if (value === undefined) return undefined;
  const json = JSON.stringify(value);
  return json === undefined ? undefined : (JSON.parse(json) as unknown);
}
