/** starting: no application yet; running: serving; stopping: draining or exiting after a fatal error. */
export type LifecycleState = 'starting' | 'running' | 'stopping';

/** EX_SOFTWARE: the process stopped because of an error in itself, not because it was told to. */
export const EXIT_FATAL = 70;
/** The drain outlived its grace: work still under way is cut (a worker's attempts go back to BullMQ's redelivery). */
export const EXIT_DRAIN_TIMEOUT = 1;

export interface ProcessLifecycleOptions {
  /** How long a SIGTERM/SIGINT drain may take before the process exits anyway. */
  drainGraceMs: number;
  /** How long the shutdown hooks get after a fatal error before the process exits anyway. */
  fatalGraceMs: number;
  /** Injectable for tests; process.exit otherwise. */
  exit?: (code: number) => void;
  /** Injectable for tests; setTimeout otherwise. */
  setTimer?: (callback: () => void, ms: number) => void;
  logger: LifecycleLogger;
  /**
   * How a crash's error is written; the apps pass @mendflow/db's loggableError, so a database error
   * goes without the query values it quotes. Default: the stack.
   */
  errorText?: (error: unknown) => string;
}

/** What the lifecycle writes with: Nest's Logger fits, so each app passes its own. */
export interface LifecycleLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  fatal(message: string): void;
}

type Shutdown = () => Promise<void>;

/**
 * Makes a Mendflow process (the worker, the API) end within a bounded time once it must: told to stop
 * (SIGTERM, SIGINT), it drains; after a fatal error (an uncaught exception, an unhandled rejection, a component's report)
 * its state is unknown and it must not go on. Either way the shutdown hooks run, and a timer armed at
 * that moment exits the process when its grace runs out even if a hook never returns: a half-dead
 * worker holding its BullMQ locks, or an API replica that takes connections and answers none, is worse
 * than one that restarts.
 *
 * Replaces Nest's enableShutdownHooks, which waits for the hooks without a bound.
 */
export class ProcessLifecycle {
  private shutdown?: Shutdown;
  private stopping?: { code: number };
  private shutdownStarted = false;
  private exited = false;
  private readonly exit: (code: number) => void;
  private readonly setTimer: (callback: () => void, ms: number) => void;
  private readonly logger: LifecycleLogger;

  constructor(private readonly options: ProcessLifecycleOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.logger = options.logger;
  }

  get state(): LifecycleState {
    if (this.stopping) return 'stopping';
    return this.shutdown ? 'running' : 'starting';
  }

  /** Listens for the stop signals and for errors nothing else caught. */
  install(target: NodeJS.EventEmitter = process): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) target.on(signal, () => this.stop(signal));
    target.on('uncaughtException', (error: unknown) => this.fatal('uncaught exception', error));
    // Node's default for these is to crash at once; this crashes too, but through the shutdown hooks.
    target.on('unhandledRejection', (reason: unknown) => this.fatal('unhandled promise rejection', reason));
  }

  /**
   * The application is up; `shutdown` (Nest's app.close) runs its shutdown hooks. A stop requested
   * during the boot runs it now, its grace already counting.
   */
  attach(shutdown: Shutdown): void {
    this.shutdown = shutdown;
    if (this.stopping) this.runShutdown();
  }

  /** Drain: stop taking new work, let the work under way finish, exit 0. */
  stop(signal: string): void {
    if (this.stopping) {
      // npm and a process-group kill deliver the same SIGTERM twice; neither cuts the drain short.
      this.logger.log(`${signal} received while already stopping`);
      return;
    }
    this.logger.log(`${signal} received: draining, exiting within ${this.options.drainGraceMs} ms`);
    this.begin({ code: 0 }, this.options.drainGraceMs, EXIT_DRAIN_TIMEOUT);
  }

  /** For anything after which this process must not go on. Exits with EXIT_FATAL within the fatal grace. */
  fatal(reason: string, error?: unknown): void {
    this.logger.fatal(`${reason}: ${this.describe(error)}; exiting within ${this.options.fatalGraceMs} ms`);
    if (this.stopping) {
      // Already draining: the drain goes on, but now ends as a failure and no later than the fatal grace.
      this.stopping.code = EXIT_FATAL;
      this.armForcedExit(this.options.fatalGraceMs, EXIT_FATAL);
      return;
    }
    this.begin({ code: EXIT_FATAL }, this.options.fatalGraceMs, EXIT_FATAL);
  }

  private begin(stopping: { code: number }, graceMs: number, forcedCode: number): void {
    this.stopping = stopping;
    this.armForcedExit(graceMs, forcedCode);
    if (this.shutdown) this.runShutdown();
  }

  /** Several may be armed (a fatal error during a drain); the first to fire exits. */
  private armForcedExit(graceMs: number, code: number): void {
    this.setTimer(() => {
      if (this.exited) return;
      this.logger.error(`shutdown did not finish within ${graceMs} ms; exiting anyway`);
      this.finish(code);
    }, graceMs);
  }

  private runShutdown(): void {
    if (this.shutdownStarted) return;
    this.shutdownStarted = true;
    this.shutdown!().then(
      () => this.finish(this.stopping!.code),
      (error: unknown) => {
        this.logger.error(`shutdown failed: ${this.describe(error)}`);
        this.finish(this.stopping!.code || 1);
      },
    );
  }

  private describe(error: unknown): string {
    return (this.options.errorText ?? describeError)(error);
  }

  private finish(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.exit(code);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
