/**
 * The sandbox the worker runs attempts in: a pool of warm sandbox processes, one attempt each at a
 * time. Isolates stay the security boundary (inside each child, see sandbox.ts); the process is the
 * blast-radius boundary around them: a script that crashes, wedges or exhausts its process ends its
 * own attempt only, and the pool replaces the process while the worker keeps serving.
 *
 * Same contract as the in-process Sandbox: runAttempt never throws for anything a script does.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { cancelledError, closedError, earlyFailure, internalError } from '../errors';
import { resolveLimits } from '../limits';
import type { AttemptRequest, AttemptResult } from '../types';
import { WaitQueue } from '../wait-queue';
import type { SandboxSettings } from './protocol';
import { type Death, SandboxProcess, type SandboxProcessOptions } from './sandbox-process';

export interface ProcessSandboxOptions extends SandboxSettings {
  /** Sandbox processes, and so attempts running at once (default: the machine's parallelism). */
  processes?: number;
  /** Attempts a process serves before it is replaced by a fresh one (default 5000). */
  maxAttemptsPerProcess?: number;
  /** Host heap of each process in MB (--max-old-space-size; default 256). Isolates have their own limit. */
  heapMb?: number;
  /** Past an attempt's time limit, how long its process gets to end it before it is killed (default 2 s). */
  killGraceMs?: number;
  heartbeatMs?: number;
  /** A process whose event loop does not answer for this long is killed (default 5 s). */
  stallMs?: number;
  startTimeoutMs?: number;
  /** A host service (secrets, kv, steps) threw; the script only sees a generic HOST_SERVICE_ERROR. */
  onHostError?: (error: unknown, context: { op: string; runId: string }) => void;
  /**
   * Each line a process writes to stderr (default: the same line on this process's stderr); the
   * worker writes them as log lines.
   */
  onStderrLine?: (line: string, pid: number | undefined) => void;
  /** A process ended other than by being retired or closed (for the worker's log and metrics). */
  onProcessLost?: (info: { pid: number | undefined; death: Death; attempts: number }) => void;
  /** The child entry point (default: the built process/child.js of this package). */
  childScript?: string;
}

export interface SandboxHealth {
  ok: boolean;
  reason?: string;
  processes: number;
  busy: number;
  waiting: number;
}

/** Respawning a process that keeps failing to start backs off up to this long. */
const MAX_RESPAWN_DELAY_MS = 30_000;
/** Consecutive failed starts after which the pool reports itself unable to serve. */
const FAILED_STARTS_UNHEALTHY = 3;

export class ProcessSandbox {
  private readonly size: number;
  private readonly processOptions: SandboxProcessOptions;
  private readonly maxAttempts: number;
  private readonly processes = new Set<SandboxProcess>();
  private readonly idle: SandboxProcess[] = [];
  private readonly waiters = new WaitQueue<SandboxProcess>();
  private readonly pending = new Set<Promise<AttemptResult>>();
  private failedStarts = 0;
  private lastStartFailure = '';
  private respawnTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ProcessSandboxOptions = {}) {
    this.size = Math.max(1, Math.floor(options.processes ?? availableParallelism()));
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttemptsPerProcess ?? 5000));
    const { processes: _p, maxAttemptsPerProcess: _m, heapMb, killGraceMs, heartbeatMs, stallMs } = options;
    this.processOptions = {
      script: options.childScript ?? defaultChildScript(),
      settings: {
        maxRunsPerIsolate: options.maxRunsPerIsolate,
        allowPrivateNetwork: options.allowPrivateNetwork,
        trustedAddresses: options.trustedAddresses,
        maxima: options.maxima,
        fetchTimeoutMs: options.fetchTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        maxRedirects: options.maxRedirects,
      },
      heapMb: heapMb ?? 256,
      killGraceMs: killGraceMs ?? 2000,
      heartbeatMs: heartbeatMs ?? 1000,
      stallMs: stallMs ?? 5000,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      onHostError: options.onHostError ?? (() => undefined),
      onStderrLine: options.onStderrLine ?? ((line) => process.stderr.write(`${line}\n`)),
    };
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  runAttempt(request: AttemptRequest): Promise<AttemptResult> {
    const promise = this.execute(request);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }

  /** Resolves once every process is up (tests and benchmarks wait for a warm pool). */
  async warm(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.ready));
  }

  health(): SandboxHealth {
    const busy = [...this.processes].reduce((sum, p) => sum + p.busy, 0);
    const base = { processes: this.processes.size, busy, waiting: this.waiters.length };
    if (this.closed) return { ok: false, reason: 'the sandbox is shut down', ...base };
    if (this.failedStarts >= FAILED_STARTS_UNHEALTHY) {
      return {
        ok: false,
        reason: `sandbox processes keep failing to start (${this.failedStarts} in a row): ${this.lastStartFailure}`,
        ...base,
      };
    }
    return { ok: true, ...base };
  }

  /** Pids of the live sandbox processes (memory measurements, tests). */
  get pids(): number[] {
    return [...this.processes].flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Ends running attempts (SANDBOX_CLOSED), refuses new ones and stops every process. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.respawnTimer);
    this.waiters.clear();
    this.idle.length = 0;
    await Promise.all([...this.processes].map((p) => p.kill({ kind: 'closed' })));
    await Promise.allSettled([...this.pending]);
  }

  private async execute(request: AttemptRequest): Promise<AttemptResult> {
    if (this.closed) return earlyFailure(closedError());
    if (request.signal?.aborted) return earlyFailure(cancelledError());
    let timeoutMs: number;
    try {
      timeoutMs = resolveLimits(request.manifest, this.options.maxima).timeoutMs;
    } catch (error) {
      return earlyFailure(internalError(`the sandbox failed: ${String(error)}`));
    }
    const child = await this.acquire(request.signal);
    if (!child) return earlyFailure(this.closed ? closedError() : cancelledError());
    try {
      return await child.run(request, timeoutMs);
    } finally {
      this.release(child);
    }
  }

  private acquire(signal?: AbortSignal): Promise<SandboxProcess | undefined> {
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    return this.waiters.wait(undefined, signal);
  }

  private release(child: SandboxProcess): void {
    if (!child.alive) return; // its death handler spawns the replacement
    if (this.closed) return;
    if (child.served >= this.maxAttempts) {
      void child.kill({ kind: 'retired' });
      return;
    }
    this.offer(child);
  }

  /** A ready process goes to the first waiter, or back to the idle list. */
  private offer(child: SandboxProcess): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(child);
    else this.idle.push(child);
  }

  private spawn(): void {
    if (this.closed) return;
    const child = new SandboxProcess(this.processOptions);
    this.processes.add(child);
    child.whenDead((dead, death) => this.onDeath(dead, death));
    void child.ready.then((ready) => {
      if (!ready || this.closed || !child.alive) return;
      this.failedStarts = 0;
      this.offer(child);
    });
  }

  private onDeath(child: SandboxProcess, death: Death): void {
    this.processes.delete(child);
    const index = this.idle.indexOf(child);
    if (index >= 0) this.idle.splice(index, 1);
    if (this.closed) return;
    if (death.kind !== 'retired') {
      this.options.onProcessLost?.({ pid: child.pid, death, attempts: child.served });
    }
    if (!child.started) {
      // It never became ready: a broken installation, not a script. Back off instead of spinning.
      this.failedStarts++;
      this.lastStartFailure =
        death.kind === 'exited'
          ? death.stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${death.code}`
          : 'no answer in time';
      const delay = Math.min(MAX_RESPAWN_DELAY_MS, 250 * 2 ** (this.failedStarts - 1));
      this.respawnTimer = setTimeout(() => this.spawn(), delay);
      this.respawnTimer.unref();
      return;
    }
    this.spawn();
  }
}

/**
 * The built child entry. Tests import this package's TypeScript sources, but a child process runs
 * plain Node, so it always runs the compiled file (`tsc -b libs/sandbox` builds it).
 */
function defaultChildScript(): string {
  const beside = path.join(__dirname, 'child.js');
  if (existsSync(beside)) return beside;
  return path.resolve(__dirname, '../../dist/process/child.js');
}
