/**
 * The entry point of a sandbox process: an in-process Sandbox (isolates, ctx, limits) serving the
 * attempts its parent sends, with the parent's host services (secrets, kv, steps) reached over IPC.
 *
 * This process is the blast-radius boundary around the isolates. isolated-vm says a process that saw a
 * catastrophic error must not go on, so on one it tells the parent why and kills itself; when it
 * cannot even do that (its event loop is stuck), the parent's heartbeat or deadline kills it. It also
 * ends when the parent goes away (the IPC channel closes), so no sandbox process outlives its worker.
 */
import type { Manifest } from '@mendflow/common';
import { createMemoryHost } from '../memory-host';
import { Sandbox } from '../sandbox';
import type { HostServices } from '../types';
import {
  type ChildMessage,
  type HostCall,
  type ParentMessage,
  SETTINGS_ENV,
  type SandboxSettings,
} from './protocol';

const settings = JSON.parse(process.env[SETTINGS_ENV] ?? '{}') as SandboxSettings;

function post(message: ChildMessage, then?: () => void): void {
  if (!process.connected) return;
  try {
    process.send?.(message, undefined, undefined, then);
  } catch {
    // The channel closed under us: the parent is gone and 'disconnect' ends this process.
  }
}

let dying = false;
function die(message: string): void {
  if (dying) return;
  dying = true;
  const kill = () => process.kill(process.pid, 'SIGKILL');
  post({ t: 'fatal', message }, kill);
  // If the message cannot be written, do not wait for it.
  setTimeout(kill, 200).unref();
}

const sandbox = new Sandbox({
  ...settings,
  poolSize: 1,
  // The parent logs host failures where they happen (it runs the host services).
  onHostError: () => undefined,
  onCatastrophicError: die,
});

interface PendingCall {
  attempt: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const cancels = new Map<number, AbortController>();
const calls = new Map<number, PendingCall>();
let nextCall = 1;

function callParent(attempt: number, call: HostCall): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const n = nextCall++;
    calls.set(n, { attempt, resolve, reject });
    post({ t: 'host', id: attempt, call: n, ...call } as ChildMessage);
  });
}

function hostFor(attempt: number): HostServices {
  const call = <T>(c: HostCall) => callParent(attempt, c) as Promise<T>;
  return {
    secrets: { get: (name) => call({ op: 'secrets.get', args: [name] }) },
    kv: {
      get: (key) => call({ op: 'kv.get', args: [key] }),
      set: (key, value) => call({ op: 'kv.set', args: [key, value] }),
      delete: (key) => call({ op: 'kv.delete', args: [key] }),
    },
    steps: {
      get: (name) => call({ op: 'steps.get', args: [name] }),
      put: (name, value) => call({ op: 'steps.put', args: [name, value] }),
    },
    events: { emit: (request) => call({ op: 'events.emit', args: [request] }) },
    fetched: (observation) => post({ t: 'fetched', id: attempt, observation }),
  };
}

async function run(id: number, request: Extract<ParentMessage, { t: 'run' }>['request']): Promise<void> {
  const controller = new AbortController();
  cancels.set(id, controller);
  try {
    const result = await sandbox.runAttempt({ ...request, host: hostFor(id), signal: controller.signal });
    post({ t: 'result', id, result });
  } finally {
    cancels.delete(id);
    for (const [n, pending] of calls) {
      if (pending.attempt !== id) continue;
      calls.delete(n);
      pending.reject(new Error('the attempt ended'));
    }
  }
}

process.on('message', (message: ParentMessage) => {
  switch (message.t) {
    case 'run':
      void run(message.id, message.request);
      return;
    case 'cancel':
      cancels.get(message.id)?.abort();
      return;
    case 'host.reply': {
      const pending = calls.get(message.call);
      if (!pending) return;
      calls.delete(message.call);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error('the host service failed in the worker'));
      return;
    }
    case 'ping':
      post({ t: 'pong', n: message.n });
      return;
  }
});

process.on('disconnect', () => process.exit(0));
// A terminal's Ctrl-C, or a signal sent to the worker's whole process group, reaches this process
// too: the worker decides when its sandbox processes stop (after draining its attempts), so they wait
// for it; when it is gone the channel closes and they exit.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

/** No permissions and the default limits (limits.ts), so the warm isolate has the usual memory limit. */
const WARM_UP_MANIFEST = { permissions: { hosts: [], secrets: [] } } as unknown as Manifest;

/** One throwaway attempt, so the first real one finds a warm isolate and compiled code paths. */
async function warmUp(): Promise<void> {
  await sandbox.runAttempt({
    source: 'export default async function run(input, ctx) { ctx.log.info("warm"); return input; }',
    input: { warm: true },
    run: { id: 'warm-up', attempt: 1, automationId: 'warm-up', version: 1, trigger: 'manual' },
    manifest: WARM_UP_MANIFEST,
    host: createMemoryHost(),
  });
}

void warmUp().finally(() => post({ t: 'ready' }));
