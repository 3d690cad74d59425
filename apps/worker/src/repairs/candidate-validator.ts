import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import type { Manifest, ScriptLanguage } from '@mendflow/common';
import { lintScript, runnableScript } from '@mendflow/lint';
import type { HostServices, Recording, RunIdentity } from '@mendflow/sandbox';
import { SandboxHost } from '../runs/sandbox.provider';

export interface ReplayCase {
  runId: string;
  input: unknown;
  recording: Recording;
  output?: unknown;
}

export interface ValidationReport {
  passed: boolean;
  /** Why it did not pass, in a sentence; absent when it passed. */
  reason?: string;
  lint: { ok: boolean; errors: { line: number; column: number; message: string; ruleId: string }[] };
  failingReplay?: { status: string; error?: { name: string; message: string } };
  regressions: {
    runId: string;
    status: string;
    sameOutput: boolean;
    expected?: unknown;
    actual?: unknown;
    error?: string;
  }[];
  permissionsUnchanged: boolean;
}

/** Replays never reach the world: every host call must be served from the recording. */
const REPLAY_ONLY_HOST: HostServices = {
  secrets: { get: () => Promise.reject(new Error('a replay may not read secrets')) },
  kv: {
    get: () => Promise.reject(new Error('a replay may not touch kv')),
    set: () => Promise.reject(new Error('a replay may not touch kv')),
    delete: () => Promise.reject(new Error('a replay may not touch kv')),
  },
  steps: {
    get: () => Promise.reject(new Error('a replay may not read steps')),
    put: () => Promise.resolve(),
  },
  events: { emit: () => Promise.reject(new Error('a replay may not emit events')) },
};

/**
 * A repair candidate is deployed only if it lints, turns the failing attempt's recording into a
 * success, and still gives the same output on recent successful recordings. It never carries a
 * manifest of its own, so it cannot widen permissions; that is checked here too.
 */
@Injectable()
export class CandidateValidator {
  constructor(private readonly sandboxHost: SandboxHost) {}

  async validate(input: {
    candidate: string;
    /** The failing version's language: the candidate is linted and type-stripped as it. */
    language: ScriptLanguage;
    manifest: Manifest;
    proposedManifest?: unknown;
    run: RunIdentity;
    failing: ReplayCase;
    successes: ReplayCase[];
  }): Promise<ValidationReport> {
    const lint = lintScript({ source: input.candidate, manifest: input.manifest, language: input.language });
    const errors = lint.diagnostics
      .filter((d) => d.severity === 'error')
      .map(({ line, column, message, ruleId }) => ({ line, column, message, ruleId }));
    const permissionsUnchanged =
      input.proposedManifest === undefined || isDeepStrictEqual(input.proposedManifest, input.manifest);
    const report: ValidationReport = {
      passed: false,
      lint: { ok: errors.length === 0, errors },
      regressions: [],
      permissionsUnchanged,
    };
    if (!permissionsUnchanged)
      return { ...report, reason: 'the candidate changes the manifest; a repair may not widen permissions' };
    if (errors.length > 0)
      return {
        ...report,
        reason: `the candidate does not lint: ${errors[0]!.message} (line ${errors[0]!.line})`,
      };

    // It linted as its language, so it strips; replays run the JavaScript the worker would run.
    const script = runnableScript(input.candidate, input.language);
    const failing = await this.replay(script, input.manifest, input.run, input.failing);
    report.failingReplay = {
      status: failing.status,
      ...(failing.error && { error: { name: failing.error.name, message: failing.error.message } }),
    };
    if (failing.status !== 'succeeded') {
      return {
        ...report,
        reason: `replaying the failing run still fails: ${failing.error?.name}: ${failing.error?.message}`,
      };
    }
    for (const success of input.successes) {
      const replayed = await this.replay(script, input.manifest, input.run, success);
      const sameOutput =
        replayed.status === 'succeeded' && isDeepStrictEqual(replayed.output, success.output);
      report.regressions.push({
        runId: success.runId,
        status: replayed.status,
        sameOutput,
        ...(!sameOutput && {
          expected: success.output,
          actual: replayed.output,
          error: replayed.error?.message,
        }),
      });
    }
    const broken = report.regressions.filter((r) => !r.sameOutput);
    if (broken.length > 0) {
      return {
        ...report,
        reason: `the candidate changes the result of ${broken.length} recent successful run(s)`,
      };
    }
    return { ...report, passed: true };
  }

  private replay(source: string, manifest: Manifest, run: RunIdentity, replayCase: ReplayCase) {
    return this.sandboxHost.sandbox.runAttempt({
      source,
      input: replayCase.input,
      manifest,
      run: { ...run, id: replayCase.runId },
      host: REPLAY_ONLY_HOST,
      replay: replayCase.recording,
    });
  }
}
