// CPU time by role, read from /proc (Linux): how a benchmark's load splits between the API, the
// worker, its sandbox processes, PostgreSQL, Redis and the load generator itself. Only this benchmark's
// own processes count (those below it; of PostgreSQL, the backends of its database and the server's
// shared background processes), so other work on the machine does not blur the figures; Redis is
// counted whole. Sampled before and after a phase; a process that started in between counts from zero,
// one that exited in between is missed (the pools the stack keeps open live through a phase).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Which part of the stack a process is, from its command line; undefined for the rest of the box. */
function roleOf(pid, cmdline, comm) {
  if (pid === process.pid) return 'bench client';
  if (cmdline.includes('apps/api/dist/main.js')) return 'api';
  if (cmdline.includes('apps/worker/dist/main.js')) return 'worker';
  if (cmdline.includes('sandbox') && cmdline.includes('child')) return 'sandbox processes';
  if (comm === 'postgres' || cmdline.startsWith('postgres')) return 'postgresql';
  if (comm.startsWith('redis-server')) return 'redis';
  return undefined;
}

/**
 * Every process now, as /proc tells it: pid, command name, command line and the fields of its stat
 * line after the command name (state, ppid, pgrp, … utime, stime at 11 and 12). One that ends while it
 * is read is left out.
 */
function* processes() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    let cmdline;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // the process ended while we read it
    }
    // The command name sits in parentheses and may hold spaces; the fields after it are fixed.
    const close = stat.lastIndexOf(')');
    yield {
      pid: Number(entry),
      comm: stat.slice(stat.indexOf('(') + 1, close),
      fields: stat.slice(close + 2).split(' '),
      cmdline,
    };
  }
}

/**
 * CPU milliseconds (user + system) per pid, with its role. `postgresPids`: the PostgreSQL processes
 * that count (see postgresPidsOf); without it every postgres process does.
 */
export function sampleCpu({ postgresPids } = {}) {
  const sample = new Map();
  const parents = new Map();
  const rows = [];
  for (const { pid, comm, fields, cmdline } of processes()) {
    parents.set(pid, Number(fields[1]));
    const role = roleOf(pid, cmdline, comm);
    if (!role) continue;
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    rows.push({ pid, role, ms: (ticks * 1000) / TICKS_PER_SECOND });
  }
  const isOurs = (pid) => {
    for (let at = pid; at > 1; at = parents.get(at) ?? 0) if (at === process.pid) return true;
    return false;
  };
  for (const row of rows) {
    const counts =
      row.role === 'postgresql'
        ? !postgresPids || postgresPids.has(row.pid)
        : row.role === 'redis' || isOurs(row.pid);
    if (counts) sample.set(row.pid, row);
  }
  return sample;
}

/** PostgreSQL's processes that work for `database`: its backends, and the server's shared ones. */
export async function postgresPidsOf(client, database) {
  const { rows } = await client.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 OR backend_type NOT IN ('client backend', 'autovacuum worker')`,
    [database],
  );
  return new Set(rows.map((row) => row.pid));
}

/** CPU ms per role spent between two samples. */
export function cpuBetween(before, after) {
  const byRole = {};
  for (const [pid, { role, ms }] of after) {
    const spent = ms - (before.get(pid)?.ms ?? 0);
    byRole[role] = (byRole[role] ?? 0) + spent;
  }
  return byRole;
}

/** One line: each role's CPU per run and share of the whole, largest first. */
export function describeCpu(byRole, runs, seconds) {
  const total = Object.values(byRole).reduce((a, b) => a + b, 0);
  const parts = Object.entries(byRole)
    .sort((a, b) => b[1] - a[1])
    .map(([role, ms]) => `${role} ${(ms / runs).toFixed(2)} ms (${Math.round((100 * ms) / total)}%)`);
  return `CPU per run ${(total / runs).toFixed(2)} ms (${((total / 1000 / seconds) * 100).toFixed(0)}% of one core over ${seconds.toFixed(1)} s): ${parts.join(', ')}`;
}

/**
 * Resident memory (VmRSS, MB) by role of the processes in the given process groups — a stack's API and
 * worker each run in a group of their own (e2e/support/stack.ts starts them detached), so the other
 * stacks on a shared box are left out. Returns per role the summed MB and the pids it counted.
 */
export function sampleRss(groups) {
  const wanted = new Set(groups.map(Number));
  const byRole = {};
  for (const { pid, comm, fields, cmdline } of processes()) {
    if (!wanted.has(Number(fields[2]))) continue; // state, ppid, pgrp
    const role = roleOf(pid, cmdline, comm);
    if (!role) continue; // npm and the shell wrappers above the node processes
    let status;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // it ended meanwhile
    }
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!match) continue; // a zombie has no resident set
    const slot = (byRole[role] ??= { mb: 0, pids: [] });
    slot.mb += Number(match[1]) / 1024;
    slot.pids.push(pid);
  }
  return byRole;
}
