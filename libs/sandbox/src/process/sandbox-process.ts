/**
 * The parent's handle on one sandbox process: spawning it, handing it an attempt, serving the
 * attempt's host calls, and ending everything it ran when it dies.
 *
 * Nothing inside a script can defeat the two watchdogs here, because they live in another process:
 * a deadline per attempt (its time limit plus a grace) and a heartbeat (the child's event loop must
 * answer a ping). Either one SIGKILLs the child. When the child is gone, for whatever reason, every
 * attempt it held ends with an error that says what happened and which limit it points to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ChildProcess, fork } from 'node:child_process';
import { closedError, earlyFailure } from '../errors';
import { limitError } from '../limits';
import type { AttemptError, AttemptRequest, AttemptResult, HostServices } from '../types';
import type { ChildMessage, HostCall, ParentMessage, SandboxSettings } from './protocol';
import { SETTINGS_ENV } from './protocol';

export interface SandboxProcessOptions {
  script: string;
  settings: SandboxSettings;
  /** --max-old-space-size of the child: bounds the host heap that serves its isolates. */
  heapMb: number;
  heartbeatMs: number;
  /** No answer to a ping for this long: the child's event loop is stuck, and it is killed. */
  stallMs: number;
  /** Past an attempt's time limit, how long the child gets to end it itself before it is killed. */
  killGraceMs: number;
  /** How long a new child may take to say it is ready. */
  startTimeoutMs: number;
  onHostError: (error: unknown, context: { op: string; runId: string }) => void;
  /** Each line the child writes to stderr (V8's fatal messages, Node's warnings). */
  onStderrLine: (line: string, pid: number | undefined) => void;
}

/** Why a child ended; decides the error of the attempts it held. */
export type Death =
  | { kind: 'deadline'; timeoutMs: number }
  | { kind: 'stalled'; silentMs: number }
  | { kind: 'catastrophic'; message: string }
  | { kind: 'start-timeout' }
  | { kind: 'retired' }
  | { kind: 'closed' }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

interface Running {
  request: AttemptRequest;
  timeoutMs: number;
  startedAt: number;
  resolve: (result: AttemptResult) => void;
  deadline: NodeJS.Timeout;
  onAbort: () => void;
  /**
   * The caller's async context when the attempt was handed over: its host calls arrive on the IPC
   * channel's listener, outside it, and are served inside it again, so what the host services log
   * (or trace) belongs to the attempt (its run id, attempt, trace).
   */
  scope: <R>(fn: () => R) => R;
}

/** Enough of a child's stderr to recognise V8's fatal messages ("JavaScript heap out of memory"). */
const STDERR_TAIL = 4096;

export class SandboxProcess {
  readonly ready: Promise<boolean>;
  /** Attempts this child has finished; the pool retires it after a number of them. */
  served = 0;

  private readonly child: ChildProcess;
  private readonly running = new Map<number, Running>();
  private nextId = 1;
  private state: 'starting' | 'ready' | 'dead' = 'starting';
  private wasReady = false;
  private death: Death | undefined;
  private stderr = '';
  private stderrLine = '';
  private lastPong = performance.now();
  private pings = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly exited: Promise<void>;
  private onDeath: ((process: SandboxProcess, death: Death) => void) | undefined;

  constructor(private readonly options: SandboxProcessOptions) {
    this.child = fork(options.script, [], {
      execArgv: ['--no-node-snapshot', `--max-old-space-size=${options.heapMb}`],
      env: { ...process.env, [SETTINGS_ENV]: JSON.stringify(options.settings) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      const lines = (this.stderrLine + chunk).split('\n');
      this.stderrLine = lines.pop()!;
      for (const line of lines) options.onStderrLine(line, this.child.pid);
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.child.stderr?.on('end', () => {
      if (this.stderrLine) options.onStderrLine(this.stderrLine, this.child.pid);
      this.stderrLine = '';
    });
    let resolveReady!: (ready: boolean) => void;
    this.ready = new Promise((resolve) => (resolveReady = resolve));
    const startTimer = setTimeout(() => this.kill({ kind: 'start-timeout' }), options.startTimeoutMs);
    this.child.on('message', (message: ChildMessage) => {
      if (message.t === 'ready' && this.state === 'starting') {
        clearTimeout(startTimer);
        this.state = 'ready';
        this.wasReady = true;
        this.lastPong = performance.now();
        resolveReady(true);
        return;
      }
      this.onMessage(message);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        resolveReady(false);
        this.onExit(code, signal);
        resolve();
      });
    });
    // An IPC write to a child that just died: the exit handler deals with it.
    this.child.on('error', () => undefined);
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether it ever became ready (a child that dies before that points at the installation). */
  get started(): boolean {
    return this.wasReady;
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  get busy(): number {
    return this.running.size;
  }

  /** Called once, when the child is gone (after its attempts were ended). */
  whenDead(listener: (process: SandboxProcess, death: Death) => void): void {
    this.onDeath = listener;
  }

  run(request: AttemptRequest, timeoutMs: number): Promise<AttemptResult> {
    // It may have died between being handed out and now: its exit handler has already run.
    if (this.death && this.state === 'dead') {
      return Promise.resolve(earlyFailure(deathError(this.death, timeoutMs)));
    }
    return new Promise((resolve) => {
      const id = this.nextId++;
      const onAbort = () => this.post({ t: 'cancel', id });
      const running: Running = {
        request,
        timeoutMs,
        startedAt: performance.now(),
        resolve,
        deadline: setTimeout(
          () => this.kill({ kind: 'deadline', timeoutMs }),
          timeoutMs + this.options.killGraceMs,
        ),
        onAbort,
        scope: AsyncLocalStorage.snapshot(),
      };
      this.running.set(id, running);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const { host: _host, signal: _signal, ...childRequest } = request;
      // A closed channel means the child is on its way out; its exit handler ends this attempt.
      if (!this.post({ t: 'run', id, request: childRequest })) void this.kill(closedChannel());
      if (request.signal?.aborted) onAbort();
    });
  }

  /** SIGKILL: nothing the child runs can delay it. Resolves once the child is gone. */
  kill(death: Death): Promise<void> {
    if (this.state !== 'dead') {
      this.death ??= death;
      this.child.kill('SIGKILL');
    }
    return this.exited;
  }

  // ---- messages ------------------------------------------------------------------------------------------
  private onMessage(message: ChildMessage): void {
    switch (message.t) {
      case 'result': {
        const running = this.running.get(message.id);
        if (!running) return;
        this.served++;
        this.finish(message.id, running, message.result);
        return;
      }
      case 'host': {
        const running = this.running.get(message.id);
        if (running) void running.scope(() => this.serveHost(message));
        else void this.serveHost(message);
        return;
      }
      case 'fetched': {
        const running = this.running.get(message.id);
        if (!running) return;
        // In the attempt's context too, like the host calls (its span's parent, its log fields).
        running.scope(() => {
          try {
            running.request.host.fetched?.(message.observation);
          } catch {
            // Observing must not change the attempt.
          }
        });
        return;
      }
      case 'pong':
        this.lastPong = performance.now();
        return;
      case 'fatal':
        // The child kills itself right after this message; make sure of it.
        void this.kill({ kind: 'catastrophic', message: message.message });
        return;
    }
  }

  private async serveHost(message: Extract<ChildMessage, { t: 'host' }>): Promise<void> {
    const running = this.running.get(message.id);
    const reply = (ok: boolean, value?: unknown): void =>
      void this.post(
        ok
          ? { t: 'host.reply', id: message.id, call: message.call, ok: true, value }
          : { t: 'host.reply', id: message.id, call: message.call, ok: false },
      );
    if (!running) return reply(false);
    try {
      reply(true, await callHost(running.request.host, message));
    } catch (error) {
      this.options.onHostError(error, { op: message.op, runId: running.request.run?.id });
      reply(false);
    }
  }

  private finish(id: number, running: Running, result: AttemptResult): void {
    this.running.delete(id);
    clearTimeout(running.deadline);
    running.request.signal?.removeEventListener('abort', running.onAbort);
    running.resolve(result);
  }

  private post(message: ParentMessage): boolean {
    if (this.state === 'dead' || !this.child.connected) return false;
    try {
      return this.child.send(message);
    } catch {
      return false;
    }
  }

  // ---- liveness --------------------------------------------------------------------------------------------
  private beat(): void {
    if (this.state !== 'ready') return;
    const silentMs = performance.now() - this.lastPong;
    if (silentMs > this.options.stallMs) {
      void this.kill({ kind: 'stalled', silentMs: Math.round(silentMs) });
      return;
    }
    this.post({ t: 'ping', n: ++this.pings });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = 'dead';
    clearInterval(this.heartbeat);
    const death = this.death ?? { kind: 'exited', code, signal, stderr: this.stderr };
    this.death = death;
    for (const [id, running] of this.running) {
      const wallMs = performance.now() - running.startedAt;
      // Its logs, recording and counters died with the process: the error is what is left.
      this.finish(id, running, earlyFailure(deathError(death, running.timeoutMs), wallMs));
    }
    this.onDeath?.(this, death);
  }
}

function closedChannel(): Death {
  return {
    kind: 'exited',
    code: null,
    signal: null,
    stderr: 'the IPC channel to the sandbox process closed',
  };
}

function callHost(host: HostServices, call: HostCall): Promise<unknown> {
  switch (call.op) {
    case 'secrets.get':
      return host.secrets.get(...call.args);
    case 'kv.get':
      return host.kv.get(...call.args);
    case 'kv.set':
      return host.kv.set(...call.args);
    case 'kv.delete':
      return host.kv.delete(...call.args);
    case 'steps.get':
      return host.steps.get(...call.args);
    case 'steps.put':
      return host.steps.put(...call.args);
    case 'events.emit':
      return host.events.emit(...call.args);
  }
}

const PROCESS_LOST = 'SANDBOX_PROCESS_LOST';

/** The error of an attempt whose process died, naming the limit the death points to. */
export function deathError(death: Death, timeoutMs: number): AttemptError {
  switch (death.kind) {
    case 'deadline':
      return limitError(
        'cpu',
        `The script did not stop at its time limit of ${timeoutMs} ms (it kept running after it was told to stop), so its sandbox process was killed`,
        PROCESS_LOST,
      );
    case 'stalled':
      return limitError(
        'cpu',
        `The sandbox process running this attempt stopped responding for ${death.silentMs} ms (the script blocked it), so it was killed`,
        PROCESS_LOST,
      );
    case 'catastrophic':
      return /memory/i.test(death.message)
        ? limitError(
            'memory',
            `The script exhausted the sandbox's memory beyond recovery (isolated-vm: ${death.message}); its sandbox process was stopped (limits.memoryMb)`,
            PROCESS_LOST,
          )
        : limitError(
            'cpu',
            `The script could not be stopped (isolated-vm: ${death.message}); its sandbox process was stopped`,
            PROCESS_LOST,
          );
    case 'exited':
      if (/out of memory|allocation failed/i.test(death.stderr)) {
        return limitError(
          'memory',
          "The sandbox process running this attempt ran out of memory and died (limits.memoryMb, the worker's SANDBOX_PROCESS_HEAP_MB)",
          PROCESS_LOST,
        );
      }
      if (death.signal === 'SIGKILL') {
        return limitError(
          'memory',
          'The sandbox process running this attempt was killed from outside (SIGKILL; on Linux usually the out-of-memory killer)',
          PROCESS_LOST,
        );
      }
      return {
        name: 'SandboxError',
        code: PROCESS_LOST,
        message: `The sandbox process running this attempt died (${death.signal ? `signal ${death.signal}` : `exit code ${death.code}`})`,
      };
    case 'start-timeout':
    case 'retired':
    case 'closed':
      return closedError();
  }
}
