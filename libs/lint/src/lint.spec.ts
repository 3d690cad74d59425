import { runInNewContext } from 'node:vm';
import type { Rule } from 'eslint';
import { describe, expect, it } from 'vitest';
import { type LintDiagnostic, type LintResult, lintScript } from './index';
import { mendflowPlugin } from './rules';
import { CTX_CAPABILITIES, FORBIDDEN_GLOBALS } from './sandbox-globals';

const manifest = {
  permissions: {
    hosts: ['crm.example.com', '*.chat.example.com', 'api.example.com:8443'],
    secrets: ['CRM_TOKEN'],
  },
};

/** The example script of docs/scripts.md; the permissions of docs/manifest.md plus a host with a port. */
const contractExample = `
export default async function run(input, ctx) {
  const token = await ctx.secrets.get('CRM_TOKEN');
  const res = await ctx.fetch('https://crm.example.com/api/leads', { headers: { authorization: \`Bearer \${token}\` } });
  if (!res.ok) throw new Error(\`crm answered \${res.status}\`);
  const leads = await res.json();
  const sent = await ctx.step('notify', async () => {
    await ctx.fetch('https://hooks.chat.example.com/hook', { method: 'POST', body: JSON.stringify({ n: leads.length }) });
    return leads.length;
  });
  ctx.log.info('notified', { sent });
  return { sent };
}
`;

/** Lints and checks the shape every diagnostic must have, whatever the test is about. */
function lint(source: string, manifestInput: unknown = manifest): LintResult {
  const result = lintScript(source, manifestInput);
  for (const diagnostic of result.diagnostics) {
    expect(diagnostic).toEqual(
      expect.objectContaining({
        line: expect.any(Number),
        column: expect.any(Number),
        severity: expect.stringMatching(/^(error|warning)$/),
        message: expect.any(String),
        ruleId: expect.any(String),
      }),
    );
    if (diagnostic.ruleId !== 'manifest') expect(diagnostic.line).toBeGreaterThanOrEqual(1);
    if (diagnostic.ruleId !== 'manifest') expect(diagnostic.column).toBeGreaterThanOrEqual(1);
  }
  expect(result.ok).toBe(result.diagnostics.every((diagnostic) => diagnostic.severity !== 'error'));
  return result;
}

function only(result: LintResult, ruleId: string): LintDiagnostic[] {
  return result.diagnostics.filter((diagnostic) => diagnostic.ruleId === ruleId);
}

/** Wraps a body in a valid entry point, so a test sees only the diagnostics of its own lines (from line 2). */
function inEntry(body: string, params = 'input, ctx'): string {
  return `export default async function run(${params}) {\n${body}\n}\n`;
}

describe('lintScript: valid scripts', () => {
  it('accepts the contract example with its manifest, and returns the manifest with defaults', () => {
    const result = lint(contractExample);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.manifest?.limits.timeoutMs).toBe(30_000);
    expect(result.manifest?.permissions.secrets).toEqual(['CRM_TOKEN']);
  });

  it('accepts everyday script shapes without false positives', () => {
    const sources = [
      // Arrow entry, helpers that take ctx, built-ins, console, classes, a local named like a global.
      `const BASE = 'https://crm.example.com/api';
       class Page { constructor(items) { this.items = items; } }
       async function load(ctx, path) { const r = await ctx.fetch(\`\${BASE}/\${path}\`); return new Page(await r.json()); }
       export default async (input, ctx) => {
         const fetch = ctx.fetch;
         const page = await load(ctx, 'leads');
         const byDay = new Map();
         for (const item of page.items) byDay.set(new Date(item.at).toISOString().slice(0, 10), Math.max(1, item.n));
         console.log(JSON.stringify([...byDay]), Number.parseInt('4', 10), encodeURIComponent('a b'), Intl.NumberFormat);
         if (typeof process !== 'undefined') throw new Error('not in the sandbox');
         if (input instanceof Function) return null;
         await Promise.all([fetch('https://crm.example.com/x')]);
         return { days: byDay.size, id: Symbol('x').toString(), big: 10n, re: /a+/u.test('aa') };
       };`,
      // export { … as default }, a destructured ctx and a renamed one.
      `async function main(input, { fetch, secrets, log }) {
         const token = await secrets.get('CRM_TOKEN');
         log.info('go'); return (await fetch('https://crm.example.com/', { headers: { token } })).status;
       }
       export { main as default };`,
      inEntry(
        `const res = await context.fetch(\`https://api.example.com:8443/v1/\${input.id}\`); return res.ok;`,
        'input, context',
      ),
    ];
    for (const source of sources) expect(lint(source).diagnostics).toEqual([]);
  });

  it('lets every global of a bare V8 context through no-undef (no false positives from the global list)', () => {
    // A fresh node:vm context has the same V8 built-ins as the sandbox's isolate.
    const names = (runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[]).filter((name) =>
      /^[A-Za-z_$][\w$]*$/.test(name),
    );
    const result = lint(inEntry(names.map((name) => `void typeof ${name}; void ${name};`).join('\n')));
    expect(only(result, 'no-undef')).toEqual([]);
    // What is reported instead is what the sandbox refuses on purpose.
    const refused = new Set(
      result.diagnostics.map((diagnostic) => diagnostic.message.match(/^'(\w+)'/)?.[1]),
    );
    expect([...refused].sort()).toEqual(['WebAssembly', 'eval']);
  });
});

describe('lintScript: syntax', () => {
  it('reports a parse error as ruleId syntax with its position', () => {
    const result = lint('export default async function run(input, ctx) {\n  const x = ;\n}\n');
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        ruleId: 'syntax',
        severity: 'error',
        line: 2,
        column: 13,
        message: 'Syntax error: Unexpected token ;',
      }),
    ]);
  });
});

describe('lintScript: mendflow/default-export', () => {
  it('reports a missing default export at 1:1', () => {
    const result = lint('export async function run(input, ctx) { return 1; }\n');
    expect(result.ok).toBe(false);
    expect(only(result, 'mendflow/default-export')).toEqual([
      expect.objectContaining({
        line: 1,
        column: 1,
        severity: 'error',
        message: expect.stringContaining('no default export'),
      }),
    ]);
  });

  it.each([
    ['export default { run() {} };', 'an object', 16],
    ['export default class Run {}', 'a class', 16],
    ['export default function* run() {}', 'a generator function', 16],
    ['export default 42;', 'a plain value', 16],
    ['const run = { x: 1 };\nexport { run as default };', 'an object', 10],
  ])('reports %j as %s', (source, what, column) => {
    const [diagnostic] = only(lint(source), 'mendflow/default-export');
    expect(diagnostic).toEqual(
      expect.objectContaining({ column, severity: 'error', message: expect.stringContaining(`is ${what}`) }),
    );
    expect(diagnostic?.line).toBe(source.split('\n').length);
  });

  it('gives the benefit of the doubt when only running the script would tell', () => {
    expect(
      only(lint('const wrap = (f) => f;\nexport default wrap(async () => 1);'), 'mendflow/default-export'),
    ).toEqual([]);
  });
});

describe('lintScript: mendflow/forbidden-global', () => {
  it.each([
    ['const fs = require("fs");', 12, 'require', 'ctx'],
    ['return process.env.TOKEN;', 8, 'process', 'ctx.secrets.get'],
    ['module.exports = 1;', 1, 'module', 'export default'],
    ['exports.x = 1;', 1, 'exports', 'export default'],
    ['return global.x;', 8, 'global', 'built-ins'],
    ['return globalThis.process.env;', 8, 'process', 'ctx.secrets.get'],
    ["return globalThis['fetch']('https://crm.example.com/');", 8, 'fetch', 'ctx.fetch'],
    ['return Buffer.from("x");', 8, 'Buffer', 'Uint8Array'],
    ['return __dirname;', 8, '__dirname', 'ctx.kv'],
    ['setTimeout(() => {}, 10);', 1, 'setTimeout', 'TransientError'],
    ['setInterval(() => {}, 10);', 1, 'setInterval', 'retry policy'],
    ['setImmediate(() => {});', 1, 'setImmediate', 'retry policy'],
    ['return fetch("https://crm.example.com/");', 8, 'fetch', 'ctx.fetch'],
    ['return eval("1 + 1");', 8, 'eval', 'in the script itself'],
    ['return new Function("return 1")();', 12, 'Function constructor', 'in the script itself'],
    ['return Function("return 1")();', 8, 'Function constructor', 'in the script itself'],
    ['return WebAssembly.compile(input);', 8, 'WebAssembly', 'JavaScript'],
  ])('reports %j at line 2, column %i', (body, column, name, advice) => {
    const result = lint(inEntry(body));
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        ruleId: 'mendflow/forbidden-global',
        severity: 'error',
        line: 2,
        column,
        message: expect.stringContaining(name),
      }),
    ]);
    expect(result.diagnostics[0]?.message).toContain(advice);
  });

  it('does not report a local binding that shadows a forbidden name, nor a typeof feature test', () => {
    const body =
      'const setTimeout = (f) => f(); setTimeout(() => 1);\nif (typeof Buffer === "undefined" && typeof globalThis.process === "undefined") return 1;';
    expect(lint(inEntry(body)).diagnostics).toEqual([]);
  });
});

describe('lintScript: mendflow/no-import', () => {
  it('reports import declarations, import() and re-exports with their position', () => {
    const source =
      "import fs from 'node:fs';\nexport * from 'os';\n" +
      inEntry("  const m = await import('node:child_process');");
    const diagnostics = only(lint(source), 'mendflow/no-import');
    expect(diagnostics.map(({ line, column, severity }) => ({ line, column, severity }))).toEqual([
      { line: 1, column: 1, severity: 'error' },
      { line: 2, column: 1, severity: 'error' },
      { line: 4, column: 19, severity: 'error' },
    ]);
    expect(diagnostics[0]?.message).toBe(
      "Cannot import 'node:fs': scripts cannot load modules; everything a script can reach is on ctx (ctx.fetch for HTTP, ctx.kv for storage …).",
    );
    expect(diagnostics[2]?.message).toMatch(/^import\(\) is not available/);
  });
});

describe('lintScript: mendflow/undeclared-host', () => {
  it('reports a literal URL whose host is not declared, naming the host and the fix, at the URL', () => {
    const result = lint(inEntry("  await ctx.fetch('https://evil.example.org/steal');"));
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      {
        ruleId: 'mendflow/undeclared-host',
        severity: 'error',
        line: 2,
        column: 19,
        endLine: 2,
        endColumn: 51,
        message:
          'ctx.fetch to host "evil.example.org", which manifest.permissions.hosts does not allow: add "evil.example.org" to permissions.hosts, or the call is refused at run time.',
      },
    ]);
  });

  it.each([
    ['template without expressions', 'await ctx.fetch(`https://other.example.com/a`);', 'other.example.com'],
    [
      'template whose host is written out',
      'await ctx.fetch(`https://other.example.com/leads/${input.id}`);',
      'other.example.com',
    ],
    ['const URL', "const URL_ = 'https://other.example.com/'; await ctx.fetch(URL_);", 'other.example.com'],
    ['concatenation', "await ctx.fetch('https://other.example.com/x?id=' + input.id);", 'other.example.com'],
    [
      'optional call and computed member',
      "await ctx?.['fetch']('http://other.example.com/');",
      'other.example.com',
    ],
    ['apex of a wildcard', "await ctx.fetch('https://chat.example.com/');", 'chat.example.com'],
    ['undeclared port', "await ctx.fetch('https://crm.example.com:8443/');", 'crm.example.com:8443'],
    ['declared port, default port used', "await ctx.fetch('https://api.example.com/');", 'api.example.com'],
    [
      'inside ctx.step',
      "await ctx.step('s', () => ctx.fetch('https://other.example.com/'));",
      'other.example.com',
    ],
  ])('reports a %s', (_case, body, host) => {
    const diagnostics = only(lint(inEntry(body)), 'mendflow/undeclared-host');
    expect(diagnostics).toEqual([
      expect.objectContaining({ line: 2, severity: 'error', message: expect.stringContaining(`"${host}"`) }),
    ]);
  });

  it('follows the ctx parameter under another name, destructured, and in helpers that receive ctx', () => {
    const source = `async function helper(ctx) { return ctx.fetch('https://a.example.net/'); }
export default async function run(input, context) {
  const { fetch: http } = context;
  await context.fetch('https://b.example.net/');
  await http('https://c.example.net/');
  return helper(context);
}`;
    const diagnostics = only(lint(source), 'mendflow/undeclared-host');
    expect(
      diagnostics.map(({ line, column, message }) => [line, column, message.match(/"([^"]+)"/)?.[1]]),
    ).toEqual([
      [1, 47, 'a.example.net'],
      [4, 23, 'b.example.net'],
      [5, 14, 'c.example.net'],
    ]);
  });

  it('accepts declared hosts, wildcard subdomains and declared ports, and stays quiet when the host is computed', () => {
    const body = `await ctx.fetch('https://crm.example.com/a');
await ctx.fetch('https://CRM.example.com:443/b');
await ctx.fetch('https://eu.hooks.chat.example.com/c');
await ctx.fetch('https://api.example.com:8443/d');
await ctx.fetch(\`https://\${input.host}/x\`);
await ctx.fetch('https://crm.example.com' + input.path);
await ctx.fetch(input.url);`;
    expect(lint(inEntry(body)).diagnostics).toEqual([]);
  });

  it('checks against the defaults (no hosts) when no manifest is given', () => {
    const result = lintScript(contractExample);
    expect(only(result, 'mendflow/undeclared-host').map((diagnostic) => diagnostic.line)).toEqual([4, 8]);
    expect(only(result, 'mendflow/undeclared-secret').map((diagnostic) => diagnostic.line)).toEqual([3]);
  });
});

describe('lintScript: mendflow/fetch-url', () => {
  it.each([
    ["await ctx.fetch('/api/leads');", 'is not an absolute URL'],
    ["await ctx.fetch('file:///etc/passwd');", 'has the scheme "file:"'],
    ['await ctx.fetch(`ftp://files.example.com/${input.name}`);', 'has the scheme "ftp:"'],
    ["await ctx.fetch('https://exa mple.com/');", 'is not a valid URL'],
  ])('reports %j', (body, reason) => {
    expect(only(lint(inEntry(body)), 'mendflow/fetch-url')).toEqual([
      expect.objectContaining({
        line: 2,
        column: 17,
        severity: 'error',
        message: expect.stringContaining(reason),
      }),
    ]);
  });
});

describe('lintScript: mendflow/undeclared-secret', () => {
  it('reports an undeclared secret name at the argument, telling to declare it', () => {
    const result = lint(inEntry("  const key = await ctx.secrets.get('STRIPE_KEY');"));
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        ruleId: 'mendflow/undeclared-secret',
        line: 2,
        column: 37,
        severity: 'error',
        message:
          'Secret "STRIPE_KEY" is not declared: add "STRIPE_KEY" to manifest.permissions.secrets, or ctx.secrets.get refuses it at run time.',
      }),
    ]);
  });

  it('follows other names of ctx and of ctx.secrets, and explains names that can never be declared', () => {
    const source = `export default async function run(input, { secrets: { get } }) {
  await get('OTHER');
  await get('lower-case');
  await get('CRM_TOKEN');
  await get(input.name);
}`;
    const diagnostics = only(lint(source), 'mendflow/undeclared-secret');
    expect(diagnostics.map(({ line, column }) => [line, column])).toEqual([
      [2, 13],
      [3, 13],
    ]);
    expect(diagnostics[1]?.message).toContain('can never be declared');
  });
});

describe('lintScript: core rules', () => {
  it.each([
    ['no-undef', 'consle.log(1);', 1, 'error'],
    ['no-const-assign', 'const a = 1; a = 2;', 14, 'error'],
    ['no-unreachable', 'return 1;\nconsole.log(2);', 1, 'warning'],
    ['no-dupe-keys', 'return { a: 1, a: 2 };', 16, 'warning'],
    ['use-isnan', 'return input === NaN;', 8, 'warning'],
    ['no-use-before-define', 'const a = b; const b = 1; return a;', 11, 'warning'],
  ])('%s', (ruleId, body, column, severity) => {
    const result = lint(inEntry(body));
    const [diagnostic] = only(result, ruleId);
    expect(diagnostic).toEqual(expect.objectContaining({ column, severity }));
    expect(diagnostic?.line).toBe(body.split('\n').length + 1);
    expect(result.ok).toBe(severity !== 'error');
  });

  it('ignores inline ESLint comments, so a script cannot switch checks off, and says so', () => {
    const source = '/* global process */\n' + inEntry('  // eslint-disable-next-line\n  return process.env;');
    const result = lint(source);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map(({ ruleId, severity, line }) => ({ ruleId, severity, line }))).toEqual([
      { ruleId: 'inline-config', severity: 'warning', line: 1 },
      { ruleId: 'inline-config', severity: 'warning', line: 3 },
      { ruleId: 'mendflow/forbidden-global', severity: 'error', line: 4 },
    ]);
  });
});

describe('lintScript: manifest', () => {
  it('turns each schema problem into a manifest diagnostic naming the field', () => {
    const result = lint(contractExample, {
      permissions: { hosts: ['crm.example.com', '*.chat.example.com'], secrets: ['CRM_TOKEN'] },
      limits: { timeoutMs: -1 },
      triggers: [{ type: 'cron', cron: 'every minute' }],
      colour: 'blue',
    });
    expect(result.ok).toBe(false);
    expect(result.manifest).toBeUndefined();
    const manifestDiagnostics = only(result, 'manifest');
    expect(manifestDiagnostics).toHaveLength(3);
    expect(
      manifestDiagnostics.every(
        ({ line, column, severity }) => line === 0 && column === 0 && severity === 'error',
      ),
    ).toBe(true);
    expect(manifestDiagnostics.map((diagnostic) => diagnostic.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^manifest\.limits\.timeoutMs: /),
        expect.stringMatching(/^manifest\.triggers\.0\.cron: must have 5 fields/),
        'manifest.colour: unknown field manifest.colour',
      ]),
    );
    // The permissions are valid, so the script is still checked against them: nothing else to report.
    expect(result.diagnostics).toEqual(manifestDiagnostics);
  });

  it('still checks hosts when only another part of the manifest is invalid', () => {
    const result = lint(inEntry("await ctx.fetch('https://other.example.com/');"), {
      ...manifest,
      limits: { memoryMb: 1 },
    });
    expect(result.diagnostics.map((diagnostic) => diagnostic.ruleId)).toEqual([
      'manifest',
      'mendflow/undeclared-host',
    ]);
  });

  it('skips the permission checks when the permissions themselves are invalid', () => {
    const result = lint(inEntry("await ctx.fetch('https://other.example.com/');"), {
      permissions: { hosts: ['HTTP://X'] },
    });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        ruleId: 'manifest',
        message: expect.stringMatching(/^manifest\.permissions\.hosts\.0: /),
      }),
    ]);
  });

  it('reports a manifest that is not an object', () => {
    expect(only(lint(contractExample, 'yes'), 'manifest')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^manifest: /) }),
    ]);
  });
});

// How fast linting is, is measured by `npm run bench:lint`, not asserted here (a loaded machine is slow).
describe('lintScript: large scripts', () => {
  it('lints a maximum-size (256 KiB) script', () => {
    const helper = (i: number) =>
      `async function step${i}(ctx, input) {\n  const r = await ctx.fetch(\`https://crm.example.com/api/\${input.id}/${i}\`);\n  return { i: ${i}, ok: r.ok, body: await r.json() };\n}\n`;
    let source = '';
    for (let i = 0; source.length < 250_000; i++) source += helper(i);
    source += inEntry('  return step0(ctx, input);');
    expect(lintScript(source, manifest).diagnostics).toEqual([]);
    // Parsing 256 KiB twice (type stripping for detection, then ESLint) on a loaded machine needs more than the default 5 s.
  }, 30_000);
});

describe('lintScript: mendflow/unknown-ctx-member', () => {
  it('accepts every capability ctx offers, the waits included', () => {
    const body = `
  const answer = await ctx.waitForApproval({ title: 'Go?' });
  await ctx.sleep(60_000);
  await ctx.sleepUntil(new Date(Date.now() + 3_600_000));
  ctx.log.info(ctx.run.id, { approved: answer.approved });
  await ctx.kv.set('k', 1);
  return ctx.step('s', async () => 1);`;
    expect(only(lint(inEntry(body)), 'mendflow/unknown-ctx-member')).toEqual([]);
  });

  it('reports a ctx member that does not exist, and lists what does', () => {
    const [diagnostic, ...rest] = only(lint(inEntry('await ctx.wait(1000);')), 'mendflow/unknown-ctx-member');
    expect(rest).toEqual([]);
    expect(diagnostic).toMatchObject({ line: 2, column: 11, severity: 'error' });
    expect(diagnostic?.message).toMatch(/^ctx\.wait does not exist: ctx offers ctx\.run, ctx\.fetch, /);
    expect(diagnostic?.message).toContain('ctx.sleepUntil');
  });
});

describe('hints', () => {
  /** Every text the linter can print: forbidden-global advice and each rule's messages. */
  const texts = [
    ...[...FORBIDDEN_GLOBALS.values()].map((forbidden) => forbidden.message),
    ...Object.values(mendflowPlugin.rules ?? {}).flatMap((rule) =>
      Object.values((rule as Rule.RuleModule).meta?.messages ?? {}),
    ),
  ];

  it('name only ctx capabilities that exist', () => {
    const named = texts.flatMap((text) => [...text.matchAll(/\bctx\.(\w+)(?:\.(\w+))?/g)]);
    expect(named.length).toBeGreaterThan(10);
    for (const [mention, member, inner] of named) {
      const members = CTX_CAPABILITIES.get(member as string);
      expect(members, mention).toBeDefined();
      if (inner !== undefined) expect(members, mention).toContain(inner);
    }
  });

  it('point timers to ctx.sleep and ctx.waitForApproval', () => {
    const advice = FORBIDDEN_GLOBALS.get('setTimeout')?.message ?? '';
    expect(advice).toContain('ctx.sleep(ms)');
    expect(advice).toContain('ctx.sleepUntil(date)');
    expect(advice).toContain('ctx.waitForApproval(');
  });
});
