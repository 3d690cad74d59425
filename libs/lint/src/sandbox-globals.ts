/**
 * What the sandbox's global scope holds, as far as the linter is concerned. ESLint already declares the
 * ECMAScript built-ins for `ecmaVersion: 'latest'`; this file adds what the sandbox adds and takes away
 * what the V8 of Node 24 (and so the isolate) does not have. Keep it in step with libs/sandbox: a name
 * the sandbox provides but this file does not know is a false `no-undef` error that blocks a deploy.
 */

/**
 * What ctx offers (libs/sandbox bootstrap.ts builds it): each member, and the members of its
 * namespaces. The unknown-ctx-member rule refuses anything else, and every hint this linter prints
 * names only capabilities listed here (lint.spec.ts checks that).
 */
export const CTX_CAPABILITIES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['run', ['id', 'attempt', 'automationId', 'version', 'trigger']],
  ['fetch', []],
  ['secrets', ['get']],
  ['kv', ['get', 'set', 'delete']],
  ['step', []],
  ['emit', []],
  ['log', ['debug', 'info', 'warn', 'error']],
  ['errors', ['TransientError', 'AuthError', 'LogicError']],
  ['waitForApproval', []],
  ['sleep', []],
  ['sleepUntil', []],
]);

/** Globals the sandbox installs on top of the ECMAScript built-ins. */
const sandboxProvided = ['console'] as const;

/** ECMAScript globals ESLint knows for `latest` that V8 in Node 24 does not ship yet. */
const notInV8 = ['Temporal'] as const;

export interface ForbiddenGlobal {
  /** Shown to the script's author: what is wrong and what to use instead. */
  message: string;
  /**
   * Report only when the global is called or constructed (`Function('…')`, `new Function`), because
   * other uses (`x instanceof Function`) are harmless.
   */
  onlyWhenCalled?: boolean;
}

const noModules =
  'scripts cannot load modules; everything a script can reach is on ctx (ctx.fetch, ctx.secrets, ctx.kv, ctx.step, ctx.emit, ctx.log, ctx.sleep, ctx.waitForApproval)';
const noTimers =
  'a script cannot schedule timers. To pause the run, await ctx.sleep(ms) or ctx.sleepUntil(date) (the run waits without holding a worker, up to 30 days); to wait and try again after a failure, throw new ctx.errors.TransientError(…) and the retry policy (manifest.retry) runs it again with backoff; to wait for a person, use ctx.waitForApproval(…)';
const noCodegen = 'code cannot be generated at run time; write the code in the script itself';

/**
 * Names a script must not use, with the advice for each. They are not in the sandbox, so a use would be
 * a ReferenceError at run time; the linter says so before deploy, and says what to do instead.
 */
export const FORBIDDEN_GLOBALS: ReadonlyMap<string, ForbiddenGlobal> = new Map<string, ForbiddenGlobal>([
  ['require', { message: `'require' is not available: ${noModules}.` }],
  [
    'module',
    {
      message: `'module' is not available: export the entry point with \`export default async function run(input, ctx) { … }\`.`,
    },
  ],
  [
    'exports',
    {
      message: `'exports' is not available: export the entry point with \`export default async function run(input, ctx) { … }\`.`,
    },
  ],
  [
    'process',
    {
      message: `'process' is not available: there is no environment. Read secrets with ctx.secrets.get('NAME') and parameters from \`input\`.`,
    },
  ],
  [
    'global',
    {
      message: `'global' is Node-only and not available: use the built-ins directly, and ctx for everything else.`,
    },
  ],
  ['Buffer', { message: `'Buffer' is Node-only and not available: use strings, Uint8Array or ArrayBuffer.` }],
  [
    '__dirname',
    { message: `'__dirname' is not available: scripts have no filesystem; keep data in ctx.kv.` },
  ],
  [
    '__filename',
    { message: `'__filename' is not available: scripts have no filesystem; keep data in ctx.kv.` },
  ],
  ['setTimeout', { message: `'setTimeout' is not available: ${noTimers}.` }],
  ['setInterval', { message: `'setInterval' is not available: ${noTimers}.` }],
  ['setImmediate', { message: `'setImmediate' is not available: ${noTimers}.` }],
  ['clearTimeout', { message: `'clearTimeout' is not available: ${noTimers}.` }],
  ['clearInterval', { message: `'clearInterval' is not available: ${noTimers}.` }],
  ['clearImmediate', { message: `'clearImmediate' is not available: ${noTimers}.` }],
  [
    'fetch',
    {
      message: `'fetch' is not available: use ctx.fetch(url, init), and list the host in manifest.permissions.hosts.`,
    },
  ],
  ['eval', { message: `'eval' is not allowed: ${noCodegen}.` }],
  ['Function', { message: `The Function constructor is not allowed: ${noCodegen}.`, onlyWhenCalled: true }],
  ['WebAssembly', { message: `'WebAssembly' is not allowed in scripts: write the logic in JavaScript.` }],
]);

/**
 * The `languageOptions.globals` of the script config. Forbidden names are declared too, read-only, so
 * that `no-undef` stays quiet about them and `mendflow/forbidden-global` alone reports them, with advice.
 */
export function scriptGlobals(): Record<string, 'readonly' | 'off'> {
  const globals: Record<string, 'readonly' | 'off'> = {};
  for (const name of sandboxProvided) globals[name] = 'readonly';
  for (const name of FORBIDDEN_GLOBALS.keys()) globals[name] = 'readonly';
  for (const name of notInV8) globals[name] = 'off';
  return globals;
}
