/**
 * The sandbox the worker runs attempts in: a pool of warm isolates plus the server-wide policy
 * (maximum limits, private-network access, DNS). runAttempt never throws for anything a script does:
 * script errors, limit breaches, policy refusals and cancellation all come back as a failed result.
 */
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { Attempt, type AttemptServices } from './attempt';
import { cancelledError, closedError, earlyFailure, internalError } from './errors';
import { AddressPolicy } from './fetch/address-policy';
import { systemLookup, type LookupFn } from './fetch/http-fetch';
import { resolveLimits, type SandboxMaxima } from './limits';
import { IsolatePool, type PooledIsolate } from './pool';
import type { AttemptRequest, AttemptResult } from './types';

export interface SandboxOptions {
  /** Attempts running at once, and warm isolates kept (default: the machine's parallelism). */
  poolSize?: number;
  /** Attempts an isolate serves before it is replaced (default 500). */
  maxRunsPerIsolate?: number;
  /** ALLOW_PRIVATE_NETWORK: ctx.fetch may reach private and loopback addresses (never cloud metadata). */
  allowPrivateNetwork?: boolean;
  /** Addresses or CIDRs ctx.fetch may reach even though they are private (an internal API). */
  trustedAddresses?: string[];
  /** Server maximums; each caps the manifest's limit of the same name. */
  maxima?: Partial<SandboxMaxima>;
  /** Per ctx.fetch call, DNS to last byte, all redirects included (default 30 s). */
  fetchTimeoutMs?: number;
  /** Largest decoded response body ctx.fetch accepts (default 5 MiB). */
  maxResponseBytes?: number;
  /** Redirects ctx.fetch follows (default 5). */
  maxRedirects?: number;
  /** DNS for ctx.fetch (default: the system resolver); tests inject their own. */
  lookup?: LookupFn;
  /** A host service (secrets, kv, steps) threw; the script only sees a generic HOST_SERVICE_ERROR. */
  onHostError?: (error: unknown, context: { op: string; runId: string }) => void;
  /** isolated-vm lost control of an isolate; the process should be restarted (see isolated-vm docs). */
  onCatastrophicError?: (message: string) => void;
  /**
   * Turn off V8's on-stack replacement for the whole process (default true). On Node 24.21 / V8 13.6,
   * a loop running in OSR-compiled code can ignore TerminateExecution: `for (;;) { new Array(1000) }`
   * then survives every timeout and isolate.dispose(), burning a core, and with a growing heap it
   * passes any memory limit by gigabytes. Without OSR such loops stay interruptible; hot functions
   * are still optimized as usual. Only turn this off if the process sets `--no-use-osr` itself.
   */
  hardenV8?: boolean;
}

let v8Hardened = false;

/** See SandboxOptions.hardenV8. V8 flags are per process, and reading them is not possible, so once. */
function hardenV8(): void {
  if (v8Hardened) return;
  v8.setFlagsFromString('--no-use-osr');
  v8Hardened = true;
}

export class Sandbox {
  private readonly pool: IsolatePool;
  private readonly services: AttemptServices;
  private readonly maxima: Partial<SandboxMaxima>;
  private readonly running = new Set<Attempt>();
  private readonly pending = new Set<Promise<AttemptResult>>();
  private closed = false;

  constructor(options: SandboxOptions = {}) {
    if (options.hardenV8 !== false) hardenV8();
    this.maxima = options.maxima ?? {};
    this.pool = new IsolatePool({
      size: Math.max(1, Math.floor(options.poolSize ?? availableParallelism())),
      maxRunsPerIsolate: Math.max(1, Math.floor(options.maxRunsPerIsolate ?? 500)),
      onCatastrophicError:
        options.onCatastrophicError ??
        ((message) =>
          process.stderr.write(`[mendflow/sandbox] isolated-vm catastrophic error: ${message}\n`)),
    });
    this.services = {
      addressPolicy: new AddressPolicy({
        allowPrivateNetwork: options.allowPrivateNetwork,
        trusted: options.trustedAddresses,
      }),
      lookup: options.lookup ?? systemLookup,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      maxResponseBytes: options.maxResponseBytes ?? 5 * 1024 * 1024,
      maxRedirects: options.maxRedirects ?? 5,
      onHostError: options.onHostError ?? (() => undefined),
    };
  }

  runAttempt(req: AttemptRequest): Promise<AttemptResult> {
    const promise = this.execute(req);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }

  /** Ends running attempts (failed, SANDBOX_CLOSED), refuses new ones and disposes every isolate. */
  async close(): Promise<void> {
    this.closed = true;
    for (const attempt of this.running) attempt.cancel(closedError());
    this.pool.close();
    await Promise.allSettled([...this.pending]);
  }

  private async execute(req: AttemptRequest): Promise<AttemptResult> {
    if (this.closed) return earlyFailure(closedError());
    if (req.signal?.aborted) return earlyFailure(cancelledError());
    let pooled: PooledIsolate | undefined;
    let attempt: Attempt | undefined;
    try {
      const limits = resolveLimits(req.manifest, this.maxima);
      pooled = await this.pool.acquire(limits.memoryMb, req.signal);
      if (!pooled) return earlyFailure(this.closed ? closedError() : cancelledError());
      attempt = new Attempt(pooled, req, limits, this.services);
      this.running.add(attempt);
      return await attempt.run();
    } catch (error) {
      return earlyFailure(
        internalError(`the sandbox failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    } finally {
      if (attempt) this.running.delete(attempt);
      if (pooled) this.pool.release(pooled, attempt?.reusable === true);
    }
  }
}
