/**
 * The messages between the worker (parent) and a sandbox process (child), over Node's IPC channel
 * with the "advanced" (structured clone) serialization. Everything here is plain data.
 *
 * The parent owns the durable world (secrets, kv, steps and events live behind HostServices in the parent, next
 * to the database); the child owns the isolates and the network side of ctx.fetch. A host call of the
 * script therefore crosses twice: isolate → child (validated there, see host-ops.ts) → parent.
 */
import type { SandboxOptions } from '../sandbox';
import type { AttemptRequest, AttemptResult, EmitRequest, FetchObservation } from '../types';

/** The part of the in-process sandbox's options that can cross to a child (no functions). */
export type SandboxSettings = Pick<
  SandboxOptions,
  | 'maxRunsPerIsolate'
  | 'allowPrivateNetwork'
  | 'trustedAddresses'
  | 'maxima'
  | 'fetchTimeoutMs'
  | 'maxResponseBytes'
  | 'maxRedirects'
>;

/**
 * What a child needs of a request: everything but the host services and the abort signal. A replay or
 * a resume (recording and answer) travels as plain data; so does a waiting result's `wait`.
 */
export type ChildAttemptRequest = Omit<AttemptRequest, 'host' | 'signal'>;

/** The host services a child may call on the parent, and their arguments. */
export type HostCall =
  | { op: 'secrets.get'; args: [name: string] }
  | { op: 'kv.get'; args: [key: string] }
  | { op: 'kv.set'; args: [key: string, value: unknown] }
  | { op: 'kv.delete'; args: [key: string] }
  | { op: 'steps.get'; args: [name: string] }
  | { op: 'steps.put'; args: [name: string, value: unknown] }
  | { op: 'events.emit'; args: [request: EmitRequest] };

export type ParentMessage =
  | { t: 'run'; id: number; request: ChildAttemptRequest }
  | { t: 'cancel'; id: number }
  | { t: 'host.reply'; id: number; call: number; ok: true; value: unknown }
  | { t: 'host.reply'; id: number; call: number; ok: false }
  | { t: 'ping'; n: number };

export type ChildMessage =
  | { t: 'ready' }
  | { t: 'result'; id: number; result: AttemptResult }
  | ({ t: 'host'; id: number; call: number } & HostCall)
  | { t: 'pong'; n: number }
  /** A fetch of attempt `id` is over (HostServices.fetched): one-way, nothing answers it. */
  | { t: 'fetched'; id: number; observation: FetchObservation }
  /** isolated-vm lost control of an isolate: the child is about to kill itself. */
  | { t: 'fatal'; message: string };

/** The environment variable that carries a child's settings (JSON of SandboxSettings). */
export const SETTINGS_ENV = 'MENDFLOW_SANDBOX_SETTINGS';
