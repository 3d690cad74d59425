/**
 * One attempt of one script in a leased isolate: a fresh context, the bootstrap, the user's module,
 * the message loop with the isolate, the watchdogs, and the result.
 *
 * Control flow. The host starts isolate work only through `control` (start, deliver, noop); the
 * isolate talks back only through the `send` callback (log, host calls, result, error). Every task the
 * host starts is an async isolated-vm call, so the host's event loop stays free and its timers can
 * always end the attempt: a wall-clock timer and a CPU timer dispose the isolate, which stops any
 * running code at once (an isolated-vm `timeout` only bounds the task it is given, and awaited host
 * calls resume in later tasks it does not see).
 *
 * When the script reports its result the attempt is not over yet: it ends only once no isolate task
 * is in flight, under the same watchdogs. A task completes only after its microtasks (isolated-vm runs
 * a microtask checkpoint at the end of each), and the isolate runs nothing but the tasks the host
 * starts, so no task in flight proves the context is quiet (a microtask loop started before returning
 * keeps its task from ever completing), and the isolate can serve the next attempt without inheriting
 * work. The result usually arrives while the start task is still finishing its microtasks; the
 * attempt then ends when that task completes, with no extra round trip to the isolate.
 */
import { randomInt } from 'node:crypto';
import { describeCharacter, findUnstorable, nestedDeeperThan, storableText } from '@mendflow/common/storable';
import ivm from 'isolated-vm';
import { SCRIPT_FILENAME } from './bootstrap';
import { compileError, errorFromDescription, internalError, topLevelError } from './errors';
import type { AddressPolicy } from './fetch/address-policy';
// The subpath keeps the rest of common (zod and its schemas, ~16 MB) out of every sandbox process.
import { compileHostPatterns } from '@mendflow/common/host-patterns';
import type { LookupFn } from './fetch/http-fetch';
import { HOST_OPS, HostOps, type OpOutcome } from './host-ops';
import { HOST_CALL_BOUNDS, limitError, WAIT_BOUNDS, type EffectiveLimits } from './limits';
import { LogSink } from './logs';
import { type PooledIsolate, type PreparedContext, takeContext } from './pool';
import { CallLog, ReplayMismatch, Replayer } from './recording';
import { Redactor } from './redaction';
import type { AttemptError, AttemptRequest, AttemptResult, LimitKind, WaitRequest } from './types';
import { resumeAnswer } from './waits';

/** Sandbox-wide settings an attempt needs. */
export interface AttemptServices {
  addressPolicy: AddressPolicy;
  lookup: LookupFn;
  fetchTimeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  onHostError: (error: unknown, context: { op: string; runId: string }) => void;
}

type Outcome =
  | { ok: true; outputJson: string }
  | { ok: false; error: AttemptError }
  /** The script suspended itself (a wait); the engine resumes the run in a later attempt. */
  | { ok: 'waiting'; wait: WaitRequest };
type Control = (kind: string, a?: unknown, b?: unknown) => void;

export class Attempt {
  /** Whether the isolate may serve another attempt: quiet, undamaged, nothing of this attempt pending. */
  reusable = false;

  private readonly isolate: ivm.Isolate;
  private readonly log = new CallLog();
  private readonly redactor = new Redactor();
  private readonly logs: LogSink;
  private readonly replayer: Replayer | undefined;
  private readonly ops: HostOps;
  /**
   * Aborted when the attempt ends, so no fetch outlives it. Made by the first fetch: most attempts
   * fetch nothing, and aborting a controller costs a DOMException with its stack.
   */
  private fetchAbort: AbortController | undefined;
  private readonly startedAt = performance.now();
  /** When the script's module began evaluating, and when the script ended (see AttemptCost.scriptMs). */
  private scriptStartedAt: number | undefined;
  private scriptEndedAt: number | undefined;
  private readonly cpuStart: bigint;
  private readonly heapStart: number;
  private memoryBreached = false;

  private context: ivm.Context | undefined;
  private control: ivm.Reference<Control> | undefined;
  private module: ivm.Module | undefined;
  private wallTimer: NodeJS.Timeout | undefined;
  private cpuTimer: NodeJS.Timeout | undefined;
  private lastCpuMs = 0;

  private now = 0;
  private started = false;
  private finished = false;
  /** The script's own verdict, waiting for the isolate to be quiet (endIfQuiet). */
  private reported: Outcome | undefined;
  private violation: AttemptError | undefined;
  private recycle = false;
  /** Host calls being served; isolate tasks (evaluate, start, deliver, probes) in flight; messages seen. */
  private inflight = 0;
  /** Payload characters of the host calls being served (see HOST_CALL_BOUNDS.maxInFlightChars). */
  private inflightChars = 0;
  private tasks = 0;
  private messages = 0;
  private hostCalls = 0;
  /** A wait is being served: until it is answered no other host call may start (WAIT_WHILE_BUSY). */
  private waitPending = false;

  private resolveEnded!: (outcome: Outcome) => void;
  private readonly ended = new Promise<Outcome>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(
    private readonly pooled: PooledIsolate,
    private readonly req: AttemptRequest,
    private readonly limits: EffectiveLimits,
    private readonly services: AttemptServices,
  ) {
    this.isolate = pooled.isolate;
    this.cpuStart = this.readCpuTime() ?? 0n;
    this.heapStart = this.heapInUse();
    this.logs = new LogSink(limits.maxLogBytes, this.startedAt);
    this.replayer = req.replay
      ? new Replayer(req.replay)
      : req.resume
        ? new Replayer(req.resume.recording, 'resume')
        : undefined;
    const hostAllowed = compileHostPatterns(req.manifest?.permissions?.hosts ?? []);
    this.ops = new HostOps({
      manifest: req.manifest,
      limits,
      host: req.host,
      log: this.log,
      replay: this.replayer,
      now: () => this.now,
      redactor: this.redactor,
      hostAllowed,
      fetchEnvironment: () => ({
        hostAllowed,
        addressPolicy: services.addressPolicy,
        lookup: services.lookup,
        timeoutMs: services.fetchTimeoutMs,
        maxResponseBytes: services.maxResponseBytes,
        maxRedirects: services.maxRedirects,
        signal: (this.fetchAbort ??= new AbortController()).signal,
      }),
      onViolation: (error) => {
        this.violation ??= error;
      },
      onLimit: (kind, error) => this.breach(kind, error.message, error.code),
      onHostError: (error, op) => services.onHostError(error, { op, runId: req.run?.id }),
    });
  }

  async run(): Promise<AttemptResult> {
    let outcome: Outcome;
    try {
      outcome = await this.execute();
    } catch (error) {
      this.recycle = true;
      outcome = {
        ok: false,
        error: internalError(`the sandbox failed: ${error instanceof Error ? error.message : String(error)}`),
      };
    }
    const memoryBytes = this.measureMemory();
    this.cleanup();
    return this.result(outcome, memoryBytes);
  }

  /** Ends the attempt from outside (the sandbox is closing). */
  cancel(error: AttemptError): void {
    this.end(error);
  }

  // ---- running ----------------------------------------------------------------------------------------
  private async execute(): Promise<Outcome> {
    let opening: { now: number; seed: number };
    try {
      opening = this.open();
    } catch (error) {
      if (!(error instanceof ReplayMismatch)) throw error;
      return { ok: false, error: { name: error.errorName, message: error.message, code: error.code } };
    }
    this.now = opening.now;
    this.log.push({ kind: 'time', value: opening.now });
    this.log.push({ kind: 'random', value: opening.seed });

    let inputJson: string;
    try {
      inputJson = this.req.input === undefined ? '' : (JSON.stringify(this.req.input) ?? '');
    } catch (error) {
      return {
        ok: false,
        error: {
          name: 'TypeError',
          message: `The run's input is not JSON: ${String(error)}`,
          code: 'INVALID_INPUT',
        },
      };
    }

    this.armWatchdogs();
    if (this.finished) return this.ended;
    try {
      this.setUp(opening, takeContext(this.pooled));
      if (this.finished) return this.ended;
    } catch (error) {
      this.recycle = true;
      this.finish({
        ok: false,
        error: internalError(
          `could not prepare the sandbox: ${error instanceof Error ? error.message : String(error)}`,
        ),
      });
      return this.ended;
    }
    void this.startScript(inputJson);
    return this.ended;
  }

  /** The opening clock and seed: the recording's for a replay or a resume, the world's otherwise. */
  private open(): { now: number; seed: number } {
    if (this.req.replay && this.req.resume) {
      throw new ReplayMismatch(
        'Cannot resume: a request is either a replay or a resume, not both',
        'INVALID_RESUME',
      );
    }
    if (!this.replayer) return { now: Date.now(), seed: randomInt(0, 2 ** 32) };
    const opening = this.replayer.start();
    if (this.req.resume) this.ops.setResumeAnswer(resumeAnswer(this.req.resume, this.limits.maxDepth));
    return opening;
  }

  /** A resume replaying its prefix: the earlier attempts already hold that part's logs. */
  private get replayingPrefix(): boolean {
    return this.replayer?.mode === 'resume' && this.ops.serving;
  }

  /** A fresh context with the bootstrap installed; `control` is the bootstrap's entry point. */
  private setUp(opening: { now: number; seed: number }, prepared: PreparedContext): void {
    const { context, setup } = prepared;
    this.context = context;
    const send = new ivm.Callback(
      (op: unknown, id: unknown, payload: unknown) => this.onMessage(op, id, payload),
      { ignored: true },
    );
    const config = JSON.stringify({
      run: this.req.run,
      now: opening.now,
      seed: opening.seed,
      maxLogChars: this.limits.maxLogBytes,
      maxResultChars: this.limits.maxResultBytes,
      maxDepth: this.limits.maxDepth,
      maxHostCalls: this.limits.maxHostCalls,
      maxKvKeyLength: this.limits.maxKvKeyLength,
      maxKvValueChars: this.limits.maxKvValueBytes,
      maxStepNameLength: this.limits.maxStepNameLength,
      ...HOST_CALL_BOUNDS,
      ...WAIT_BOUNDS,
    });
    try {
      this.control = setup.applySync(undefined, [send, config], {
        result: { reference: true },
      }) as ivm.Reference<Control>;
    } finally {
      setup.release();
    }
  }

  private async startScript(inputJson: string): Promise<void> {
    const context = this.context as ivm.Context;
    const control = this.control as ivm.Reference<Control>;
    let module: ivm.Module;
    try {
      module = this.isolate.compileModuleSync(this.req.source, { filename: SCRIPT_FILENAME });
    } catch (error) {
      return this.finish({ ok: false, error: compileError(error) });
    }
    this.module = module;
    const imports = module.dependencySpecifiers;
    if (imports.length > 0) {
      return this.finish({
        ok: false,
        error: {
          name: 'ImportError',
          code: 'IMPORT_NOT_ALLOWED',
          message: `Scripts cannot import modules (this one imports ${imports.map((s) => `"${s}"`).join(', ')}): everything a script can use is on ctx`,
        },
      });
    }
    try {
      module.instantiateSync(context, () => {
        throw new Error('imports are not available');
      });
    } catch (error) {
      return this.finish({ ok: false, error: compileError(error) });
    }

    this.tasks++;
    this.scriptStartedAt = performance.now();
    try {
      await module.evaluate({ timeout: this.cpuLeftMs() });
    } catch (error) {
      this.tasks--;
      return this.isolateFailure(error, 'evaluate');
    }
    this.tasks--;
    if (this.finished) return;

    this.tasks++;
    try {
      await control.apply(undefined, ['start', inputJson, module.namespace.derefInto({ release: true })], {
        timeout: this.cpuLeftMs(),
      });
    } catch (error) {
      this.tasks--;
      return this.isolateFailure(error, 'start');
    }
    this.started = true;
    this.taskDone();
  }

  // ---- messages from the isolate ----------------------------------------------------------------------
  private onMessage(op: unknown, id: unknown, payload: unknown): void {
    if (this.finished) {
      // Work of an ended attempt still running means the isolate is not quiet: never reuse it.
      this.recycle = true;
      return;
    }
    if (typeof op !== 'string' || typeof id !== 'number' || typeof payload !== 'string')
      return this.protocolViolation();
    this.messages++;
    switch (op) {
      case 'log':
        if (this.replayingPrefix) return;
        if (!this.logs.accept(payload)) this.logOverflow();
        return;
      case 'log.overflow':
        // The isolate counts the prefix's logs too; it starts counting afresh where the resume goes live.
        if (this.replayingPrefix) return;
        this.logs.overflow();
        return this.logOverflow();
      case 'result':
        if (Buffer.byteLength(payload) > this.limits.maxResultBytes) {
          return this.scriptEnded({
            ok: false,
            error: limitError(
              'result',
              `The result is larger than ${this.limits.maxResultBytes} bytes (limits.maxResultBytes)`,
            ),
          });
        }
        return this.scriptEnded({ ok: true, outputJson: payload });
      case 'error':
        return this.scriptEnded({ ok: false, error: this.scriptError(payload) });
    }
    if (!HOST_OPS.has(op)) return this.protocolViolation();
    if (op === 'wait' ? this.inflight > 0 : this.waitPending) return this.waitWhileBusy(op);
    if (op === 'wait') this.waitPending = true;
    this.hostCalls++;
    if (this.hostCalls > this.limits.maxHostCalls) {
      return this.breach(
        'host_calls',
        `The script made more than ${this.limits.maxHostCalls} host calls (ctx.fetch, ctx.kv, ctx.secrets, ctx.step, ctx.emit)`,
      );
    }
    const size = payload.length;
    // The isolate refuses a call that would pass this bound before sending it, and the host's count
    // can only be lower than the isolate's (it adds later and subtracts earlier): more means the
    // bootstrap was subverted, and the attempt ends before more is copied.
    if (this.inflight > 0 && this.inflightChars + size > HOST_CALL_BOUNDS.maxInFlightChars)
      return this.protocolViolation();
    this.inflight++;
    this.inflightChars += size;
    this.ops.handle(op, payload).then(
      (outcome) => this.deliver(id, size, outcome),
      (error: unknown) =>
        this.deliver(id, size, {
          reply: {
            ok: false,
            error: { name: 'SandboxError', message: String(error), code: 'SANDBOX_ERROR' },
          },
        }),
    );
  }

  /**
   * A wait must be the only host call in flight. A run resumes by replaying its calls in order up to
   * the wait; a call still running beside it would have no defined place in that order (and its side
   * effect may or may not have happened when the attempt ended).
   */
  private waitWhileBusy(op: string): void {
    const message =
      op === 'wait'
        ? `The script started a wait (ctx.waitForApproval, ctx.sleep or ctx.sleepUntil) while ${this.inflight} other host call(s) were still in flight: await every other ctx call before waiting`
        : 'The script made a host call while a wait (ctx.waitForApproval, ctx.sleep or ctx.sleepUntil) was pending: await the wait before making other ctx calls';
    this.end({ name: 'WaitError', message, code: 'WAIT_WHILE_BUSY' });
  }

  private scriptError(payload: string): AttemptError {
    const error = errorFromDescription(payload);
    try {
      // The one limit the isolate detects itself: the result did not fit while being serialized.
      if ((JSON.parse(payload) as { limit?: unknown }).limit === 'result')
        return limitError('result', error.message);
    } catch {
      // errorFromDescription already coped with a malformed description.
    }
    return error;
  }

  private scriptEnded(outcome: Outcome): void {
    if (this.reported) return;
    this.reported = outcome;
    this.markScriptEnd();
    this.endIfQuiet();
  }

  /**
   * Ends a reported attempt once no isolate task is in flight (see the top of this file); called at
   * the report and whenever a task completes. Host calls still being served do not hold it up: the
   * isolate is then not reused (see cleanup), as their answers would wake code of this attempt.
   */
  private endIfQuiet(): void {
    if (this.reported && !this.finished && this.tasks === 0) this.finish(this.reported);
  }

  private deliver(id: number, size: number, outcome: OpOutcome): void {
    this.inflight--;
    this.inflightChars -= size;
    if (this.finished) return;
    // A suspending wait stays pending: a call the script makes after it (without awaiting it) would
    // run after the point the run resumes from, so it fails the attempt (WAIT_WHILE_BUSY).
    if (outcome.suspend) return this.scriptEnded({ ok: 'waiting', wait: outcome.suspend });
    // While a wait is pending nothing else can be in flight, so this answer is the wait's.
    this.waitPending = false;
    const record = outcome.record;
    if (record) {
      // The script's clock moves when a call completes; a replay (and a resume's prefix) moves it
      // exactly as recorded. Asked at delivery: a resume goes live at its wait, and no call of the
      // prefix can still be in flight then (WAIT_WHILE_BUSY), so this is exact.
      if (this.ops.serving) {
        if (typeof record.at === 'number') this.now = record.at;
      } else {
        this.now = Date.now();
        record.at = this.now;
      }
    }
    // Where a resume goes live, this attempt's own budgets begin (the prefix was counted before).
    if (outcome.live) this.hostCalls = 0;
    const json = JSON.stringify({
      ...outcome.reply,
      now: this.now,
      ...(outcome.live ? { fresh: true } : {}),
    });
    this.runTask(
      (control) => control.apply(undefined, ['deliver', id, json]),
      'deliver',
      () => this.taskDone(),
    );
  }

  /**
   * Queues a call of `control` in the isolate; `done` runs when the task and its microtasks have
   * finished. A failure (the isolate was disposed, by us or by its memory limit) ends the attempt.
   */
  private runTask(
    call: (control: ivm.Reference<Control>) => Promise<unknown>,
    phase: 'deliver' | 'probe',
    done: () => void,
  ): void {
    this.tasks++;
    let task: Promise<unknown>;
    try {
      task = call(this.control as ivm.Reference<Control>);
    } catch (error) {
      this.tasks--;
      return this.isolateFailure(error, phase);
    }
    task.then(done, (error: unknown) => {
      this.tasks--;
      this.isolateFailure(error, phase);
    });
  }

  // ---- quiescence and never-settling promises ------------------------------------------------------------
  /** Runs `then` once every task queued in the isolate so far (and its microtasks) has finished. */
  private probe(then: () => void): void {
    this.runTask(
      (control) => control.apply(undefined, ['noop']),
      'probe',
      () => {
        this.tasks--;
        if (this.finished) return;
        if (this.reported) return this.endIfQuiet();
        then();
      },
    );
  }

  private taskDone(): void {
    this.tasks--;
    if (this.reported) return this.endIfQuiet();
    if (!this.mayHaveStalled()) return;
    // Nothing is running and no host call is pending: if that is still true after a probe (which
    // also flushes any message the isolate sent before going quiet), the script's promise can never
    // settle, and waiting for the time limit would only waste it.
    const mark = this.messages;
    setImmediate(() => {
      if (!this.mayHaveStalled() || this.messages !== mark) return;
      this.probe(() => {
        if (this.mayHaveStalled() && this.messages === mark) {
          this.finish({
            ok: false,
            error: limitError(
              'timeout',
              'The script is waiting for a promise that can never settle: no host call is pending and nothing else can resolve it',
              'NEVER_SETTLED',
            ),
          });
        }
      });
    });
  }

  private mayHaveStalled(): boolean {
    return this.started && !this.finished && !this.reported && this.inflight === 0 && this.tasks === 0;
  }

  // ---- limits -----------------------------------------------------------------------------------------------
  private armWatchdogs(): void {
    this.wallTimer = setTimeout(() => this.onWallDeadline(), this.limits.timeoutMs);
    this.cpuTimer = setTimeout(() => this.checkCpu(), this.limits.cpuMs);
    const signal = this.req.signal;
    if (signal) {
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  private readonly onAbort = (): void => this.breach('cancelled', 'The run was cancelled', 'CANCELLED');

  private onWallDeadline(): void {
    if (this.finished) return;
    // A script that was not waiting on any host call when the time ran out was running code (an
    // awaited promise nothing can settle is caught at once, see taskDone): a CPU problem, a different
    // diagnosis from waiting too long on I/O. Its own CPU counter can show far less than the wall
    // time (garbage collection near the memory limit, a machine short of cores), so it is not asked.
    if (this.inflight === 0) {
      return this.breach(
        'cpu',
        `The script was still running (not waiting on a host call) when its time limit of ${this.limits.timeoutMs} ms ran out (an endless loop, or work too heavy for the limit?)`,
      );
    }
    this.breach(
      'timeout',
      `The attempt did not finish within its time limit of ${this.limits.timeoutMs} ms while waiting on a host call (limits.timeoutMs)`,
    );
  }

  private checkCpu(): void {
    if (this.finished) return;
    const used = this.cpuUsedMs();
    if (used >= this.limits.cpuMs) {
      return this.breach(
        'cpu',
        `The script used more than ${this.limits.cpuMs} ms of CPU time (an endless loop?)`,
      );
    }
    this.cpuTimer = setTimeout(() => this.checkCpu(), Math.max(5, this.limits.cpuMs - used));
  }

  private cpuUsedMs(): number {
    const now = this.readCpuTime();
    if (now !== undefined) this.lastCpuMs = Number(now - this.cpuStart) / 1e6;
    return this.lastCpuMs;
  }

  /** The isolate's CPU counter, or undefined once it is gone (a memory breach disposes it any time). */
  private readCpuTime(): bigint | undefined {
    try {
      return this.isolate.isDisposed ? undefined : this.isolate.cpuTime;
    } catch {
      return undefined;
    }
  }

  private cpuLeftMs(): number {
    return Math.max(1, Math.floor(this.limits.cpuMs - this.cpuUsedMs()));
  }

  private logOverflow(): void {
    this.breach('log', `The script logged more than ${this.limits.maxLogBytes} bytes (limits.maxLogBytes)`);
  }

  /** A limit hit: the attempt ends now and the isolate is disposed, which stops whatever it runs. */
  private breach(kind: LimitKind, message: string, code?: string): void {
    this.end(limitError(kind, message, code));
  }

  private end(error: AttemptError): void {
    if (this.finished) return;
    this.recycle = true;
    this.cpuUsedMs(); // the last reading before the isolate (and its CPU counter) is gone
    this.finish({ ok: false, error });
    try {
      if (!this.isolate.isDisposed) this.isolate.dispose();
    } catch {
      // Disposed concurrently (memory limit): the goal is reached either way.
    }
  }

  private protocolViolation(): void {
    this.end({
      name: 'SandboxError',
      message: 'The isolate sent a malformed message to the host',
      code: 'PROTOCOL_VIOLATION',
    });
  }

  private isolateFailure(error: unknown, phase: 'evaluate' | 'start' | 'deliver' | 'probe'): void {
    if (this.finished) return;
    const message = error instanceof Error ? error.message : String(error);
    if (this.isolate.isDisposed) {
      if (/memory limit/i.test(message)) {
        this.memoryBreached = true;
        return this.breach(
          'memory',
          `The script used more than ${this.limits.memoryMb} MB of memory (limits.memoryMb)`,
        );
      }
      return this.end(internalError(`the isolate was disposed unexpectedly: ${message}`));
    }
    if (/Script execution timed out/i.test(message)) {
      return this.breach(
        'cpu',
        `The script used more than ${this.limits.cpuMs} ms of CPU time (an endless loop?)`,
      );
    }
    // Top-level code may have left work running (a promise loop started before the throw): the
    // attempt only ends once the context is quiet, as for any reported result (endIfQuiet).
    if (phase === 'evaluate') return this.scriptEnded({ ok: false, error: topLevelError(error) });
    this.end(internalError(`the sandbox failed while running the script: ${message}`));
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.markScriptEnd();
    this.clearWatchdogs();
    this.fetchAbort?.abort();
    this.resolveEnded(outcome);
  }

  private clearWatchdogs(): void {
    clearTimeout(this.wallTimer);
    clearTimeout(this.cpuTimer);
    this.req.signal?.removeEventListener('abort', this.onAbort);
  }

  // ---- the result ---------------------------------------------------------------------------------------
  /**
   * How much the isolate's heap grew during the attempt. Approximate: a garbage collection during the
   * attempt hides some of it. After a memory breach the heap is gone and the limit is the answer.
   */
  private measureMemory(): number {
    if (this.memoryBreached) return this.limits.memoryMb * 1024 * 1024;
    const now = this.heapInUse();
    return now === 0 ? 0 : Math.max(0, now - this.heapStart);
  }

  private heapInUse(): number {
    if (this.isolate.isDisposed) return 0;
    try {
      const heap = this.isolate.getHeapStatisticsSync();
      return heap.used_heap_size + heap.externally_allocated_size;
    } catch {
      return 0;
    }
  }

  private cleanup(): void {
    this.clearWatchdogs();
    for (const handle of [this.control, this.module, this.context]) {
      try {
        handle?.release();
      } catch {
        // The isolate is gone and took its handles with it.
      }
    }
    this.reusable = !this.recycle && !this.isolate.isDisposed && this.inflight === 0 && this.tasks === 0;
  }

  /** The script's end is its first report (waiting for quiescence after it is the sandbox's time). */
  private markScriptEnd(): void {
    if (this.scriptStartedAt !== undefined) this.scriptEndedAt ??= performance.now();
  }

  private scriptMs(): number {
    if (this.scriptStartedAt === undefined) return 0;
    return Math.round(((this.scriptEndedAt ?? performance.now()) - this.scriptStartedAt) * 1000) / 1000;
  }

  private result(raw: Outcome, memoryBytes: number): AttemptResult {
    const outcome = this.withViolation(raw);
    const redactor = this.redactor;
    let status: AttemptResult['status'] =
      outcome.ok === 'waiting' ? 'waiting' : outcome.ok ? 'succeeded' : 'failed';
    let output: unknown;
    let error: AttemptError | undefined;
    if (outcome.ok === true) {
      const read = this.readOutput(outcome.outputJson);
      if (read.ok) {
        output = read.output;
      } else {
        status = 'failed';
        error = read.error;
      }
    } else if (outcome.ok === false) {
      error = outcome.error;
    }
    if (error) {
      // An error's text is display text: redacted, then made storable (U+FFFD for NUL and lone
      // surrogates, which also mends a surrogate pair cut in half where a long message was truncated).
      const display = (text: string) => storableText(redactor.text(text));
      error = { ...error, name: display(error.name), message: display(error.message) };
      if (error.stack !== undefined) error.stack = display(error.stack);
    }
    return {
      status,
      ...(output !== undefined ? { output } : {}),
      ...(error ? { error } : {}),
      logs: this.logs.result(redactor),
      logsTruncated: this.logs.truncated,
      recording: this.log.snapshot(redactor),
      ...(outcome.ok === 'waiting' ? { wait: redactor.deep(structuredClone(outcome.wait)) } : {}),
      cost: {
        wallMs: Math.round((performance.now() - this.startedAt) * 1000) / 1000,
        cpuMs: Math.round(this.cpuUsedMs() * 1000) / 1000,
        memoryBytes,
        fetches: this.ops.fetchCount,
        hostCalls: this.hostCalls,
        scriptMs: this.scriptMs(),
      },
      ...(this.replayer?.mode === 'replay' ? { replay: this.replayer.progress } : {}),
    };
  }

  /**
   * The script's result, redacted, as it will be stored. Its exact value matters (an API client or a
   * later automation reads it), so a character PostgreSQL cannot store fails the attempt with a clear
   * error instead of being replaced. The isolate's walk bounds the depth; it is checked again before
   * anything recursive touches the value, and so is everything stored from it.
   */
  private readOutput(json: string): { ok: true; output: unknown } | { ok: false; error: AttemptError } {
    if (json === '') return { ok: true, output: undefined };
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return { ok: false, error: internalError('the result could not be read back from the isolate') };
    }
    const { maxDepth } = this.limits;
    if (nestedDeeperThan(parsed, maxDepth))
      return {
        ok: false,
        error: limitError('result', `The result is nested deeper than ${maxDepth} levels`),
      };
    const output = this.redactor.deep(parsed);
    const found = findUnstorable(output, maxDepth);
    if (found && found.problem !== 'depth') {
      return {
        ok: false,
        error: {
          name: 'TypeError',
          code: 'INVALID_CHARACTERS',
          message: `The result contains ${describeCharacter(found.problem)} at ${found.path}, which cannot be stored`,
        },
      };
    }
    return { ok: true, output };
  }

  /** A policy refusal or replay mismatch fails the attempt even if the script caught it. */
  private withViolation(outcome: Outcome): Outcome {
    const violation = this.violation;
    if (!violation) return outcome;
    if (
      outcome.ok === false &&
      (outcome.error.code === violation.code || outcome.error.limit === 'cancelled')
    )
      return outcome;
    const caught =
      outcome.ok === false
        ? ''
        : ' (the script caught this error, but a refusal by policy always fails the attempt)';
    return { ok: false, error: { ...violation, message: violation.message + caught } };
  }
}
