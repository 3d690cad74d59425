/**
 * The types of a script's `ctx`, as the sandbox builds it (libs/sandbox/src/bootstrap.ts): what an editor
 * completes when a script is written against `@mendflow/sdk/ctx` (`mendflow init` wires it up). Behaviour
 * and limits are in docs/scripts.md; ctx.spec.ts fails when the sandbox gains or loses a capability that
 * {@link CTX_SHAPE} (and so these types) does not list.
 */

/** `ctx.run`: which run this is. */
export interface RunInfo {
  id: string;
  attempt: number;
  automationId: string;
  version: number;
  /** `manual`, `cron`, `webhook`, `event`, … */
  trigger: string;
  /** Scheduled runs: the tick the run is for (ISO 8601, UTC), not when it started. */
  scheduledAt?: string;
}

export interface FetchInit {
  /** Default `GET`. */
  method?: string;
  headers?: Record<string, string | number | boolean> | Array<[string, string]>;
  /** A string: use `JSON.stringify(data)` to send JSON. */
  body?: string;
  /** Default `follow`. */
  redirect?: 'follow' | 'manual' | 'error';
}

/** Response headers, lower-cased names; several values of one header are joined by `, `. */
export interface FetchHeaders {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, name: string, headers: FetchHeaders) => void): void;
}

export interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: FetchHeaders;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
}

/** Limits on what the script may do after an approval; the approver may tighten them. */
export interface ApprovalCaps {
  maxFetches?: number;
  hosts?: string[];
}

export interface ApprovalOptions {
  title: string;
  details?: string;
  /** How long the request stays open before it expires (the answer then carries `expired: true`). */
  timeoutMs?: number;
  caps?: ApprovalCaps;
}

/** What `ctx.waitForApproval` resolves to. */
export interface ApprovalAnswer {
  approved: boolean;
  /** The user id of whoever answered; absent when the request expired. */
  by?: string;
  comment?: string;
  expired?: true;
  caps?: ApprovalCaps;
}

export interface CtxLog {
  debug(message: unknown, data?: unknown): void;
  info(message: unknown, data?: unknown): void;
  warn(message: unknown, data?: unknown): void;
  error(message: unknown, data?: unknown): void;
}

/** Errors a script throws to classify a failure itself (transient: retried; auth, logic: a person's). */
export type ScriptErrorClass = new (message?: string, options?: { cause?: unknown }) => Error;

export interface Ctx {
  readonly run: Readonly<RunInfo>;
  /** HTTP to the hosts the manifest's `permissions.hosts` allows. */
  fetch(url: string | { url: string } | { href: string }, init?: FetchInit): Promise<FetchResponse>;
  readonly secrets: {
    /** A secret named in the manifest's `permissions.secrets`; undefined when it is not set. */
    get(name: string): Promise<string | undefined>;
  };
  /** Durable key-value storage of the automation (JSON values). */
  readonly kv: {
    get<T = unknown>(key: string): Promise<T | undefined>;
    set(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<void>;
  };
  /** Runs `fn` once per run: a retry or a resume gets the stored result instead of running it again. */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T>;
  /** Emits a workspace event: automations subscribed to `name` get a run. */
  emit(name: string, payload?: unknown): Promise<unknown>;
  /** Suspends the run until a person approves or rejects (or the request expires). */
  waitForApproval(options: ApprovalOptions): Promise<ApprovalAnswer>;
  sleep(ms: number): Promise<{ slept: true }>;
  sleepUntil(date: Date | number | string): Promise<{ slept: true }>;
  readonly log: CtxLog;
  readonly errors: {
    readonly TransientError: ScriptErrorClass;
    readonly AuthError: ScriptErrorClass;
    readonly LogicError: ScriptErrorClass;
  };
}

/** The default export of a script: `export default async function run(input, ctx) { … }`. */
export type Script<Input = unknown, Output = unknown> = (input: Input, ctx: Ctx) => Output | Promise<Output>;

/** Each ctx member: a function, or an object with these members (the shape the sandbox builds). */
export type CtxShape = { readonly [key: string]: 'function' | 'value' | CtxShape };

/**
 * The shape of {@link Ctx} as data, checked against the type below and against a real sandbox in
 * ctx.spec.ts: adding a capability to the sandbox without typing it here fails that spec.
 */
export const CTX_SHAPE = {
  run: 'value',
  fetch: 'function',
  secrets: { get: 'function' },
  kv: { get: 'function', set: 'function', delete: 'function' },
  step: 'function',
  emit: 'function',
  waitForApproval: 'function',
  sleep: 'function',
  sleepUntil: 'function',
  log: { debug: 'function', info: 'function', warn: 'function', error: 'function' },
  errors: { TransientError: 'function', AuthError: 'function', LogicError: 'function' },
} as const satisfies CtxShape;

// Compile-time: CTX_SHAPE names exactly the keys of Ctx (and of its object members).
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const ctxKeysMatch: SameKeys<typeof CTX_SHAPE, Ctx> &
  SameKeys<typeof CTX_SHAPE.kv, Ctx['kv']> &
  SameKeys<typeof CTX_SHAPE.log, Ctx['log']> &
  SameKeys<typeof CTX_SHAPE.errors, Ctx['errors']> &
  SameKeys<typeof CTX_SHAPE.secrets, Ctx['secrets']> = true;
void ctxKeysMatch;
