import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { boundName, staticKeyName, staticPropertyName } from './ast';
import { findEntry } from './entry';

/**
 * The local names through which a script reaches ctx's capabilities. Matching is by name: the entry's
 * second parameter (whatever it is called), the conventional `ctx` that helper functions receive, and
 * names destructured from either. A local variable that happens to share such a name is rare enough in
 * scripts that the simplicity is worth it.
 */
interface CtxBindings {
  ctx: Set<string>;
  /** Bound to ctx.fetch: `{ fetch }`, `{ fetch: http }`, `const http = ctx.fetch`. */
  fetch: Set<string>;
  /** Bound to ctx.secrets. */
  secrets: Set<string>;
  /** Bound to ctx.secrets.get: `{ secrets: { get } }`. */
  secretGet: Set<string>;
}

export interface CtxCalls {
  /** Calls of ctx.fetch(url, init). */
  fetch: ESTree.CallExpression[];
  /** Calls of ctx.secrets.get(name). */
  secretGet: ESTree.CallExpression[];
  /** Members read from ctx itself with a written-out name (`ctx.sleep`, `ctx['kv']`). */
  members: ESTree.MemberExpression[];
}

/**
 * A rule listener that finds the calls of ctx.fetch and ctx.secrets.get and hands them to `onDone` at
 * the end of the program, when every alias has been seen wherever in the file it was declared.
 */
export function trackCtxCalls(
  context: Rule.RuleContext,
  onDone: (calls: CtxCalls) => void,
): Rule.RuleListener {
  const bindings: CtxBindings = {
    ctx: new Set(['ctx']),
    fetch: new Set(),
    secrets: new Set(),
    secretGet: new Set(),
  };
  const calls: ESTree.CallExpression[] = [];
  const members: ESTree.MemberExpression[] = [];
  return {
    Program(program) {
      const entry = findEntry(program, context.sourceCode);
      const ctxParam = entry.kind === 'function' ? entry.fn.params[1] : undefined;
      if (ctxParam) bindFromPattern(ctxParam, bindings);
    },
    VariableDeclarator(declarator) {
      if (declarator.init) bindFromDeclarator(declarator.id, declarator.init, bindings);
    },
    CallExpression(call) {
      calls.push(call);
    },
    MemberExpression(member) {
      members.push(member);
    },
    'Program:exit'() {
      const found: CtxCalls = { fetch: [], secretGet: [], members: [] };
      for (const call of calls) {
        const kind = calleeKind(call.callee, bindings);
        if (kind) found[kind].push(call);
      }
      found.members = members.filter((m) => isCtx(m.object, bindings) && staticPropertyName(m) !== undefined);
      onDone(found);
    },
  };
}

/** The ctx parameter: `ctx`, `context = {}`, `{ fetch, secrets: { get } }`. */
function bindFromPattern(pattern: ESTree.Pattern, bindings: CtxBindings): void {
  const name = boundName(pattern);
  if (name) {
    bindings.ctx.add(name);
    return;
  }
  const target = pattern.type === 'AssignmentPattern' ? pattern.left : pattern;
  if (target.type !== 'ObjectPattern') return;
  for (const property of target.properties) {
    if (property.type !== 'Property') continue;
    const key = staticKeyName(property);
    const local = boundName(property.value);
    if (key === 'fetch' && local) bindings.fetch.add(local);
    if (key === 'secrets' && local) bindings.secrets.add(local);
    const nested = property.value.type === 'AssignmentPattern' ? property.value.left : property.value;
    if (key === 'secrets' && nested.type === 'ObjectPattern') {
      for (const inner of nested.properties) {
        const innerLocal =
          inner.type === 'Property' && staticKeyName(inner) === 'get' ? boundName(inner.value) : undefined;
        if (innerLocal) bindings.secretGet.add(innerLocal);
      }
    }
  }
}

/** `const { fetch } = ctx`, `const http = ctx.fetch`, `const secrets = ctx.secrets`. */
function bindFromDeclarator(id: ESTree.Pattern, init: ESTree.Expression, bindings: CtxBindings): void {
  if (init.type === 'Identifier' && bindings.ctx.has(init.name) && id.type === 'ObjectPattern') {
    bindFromPattern(id, bindings);
    return;
  }
  if (id.type !== 'Identifier' || init.type !== 'MemberExpression' || !isCtx(init.object, bindings)) return;
  const property = staticPropertyName(init);
  if (property === 'fetch') bindings.fetch.add(id.name);
  if (property === 'secrets') bindings.secrets.add(id.name);
}

function isCtx(node: ESTree.Node, bindings: CtxBindings): boolean {
  return node.type === 'Identifier' && bindings.ctx.has(node.name);
}

function calleeKind(callee: ESTree.Node, bindings: CtxBindings): 'fetch' | 'secretGet' | undefined {
  if (callee.type === 'Identifier') {
    if (bindings.fetch.has(callee.name)) return 'fetch';
    if (bindings.secretGet.has(callee.name)) return 'secretGet';
    return undefined;
  }
  if (callee.type !== 'MemberExpression') return undefined;
  const property = staticPropertyName(callee);
  if (property === 'fetch' && isCtx(callee.object, bindings)) return 'fetch';
  if (property === 'get' && isSecrets(callee.object, bindings)) return 'secretGet';
  return undefined;
}

/** `ctx.secrets` or a name bound to it. */
function isSecrets(node: ESTree.Node, bindings: CtxBindings): boolean {
  if (node.type === 'Identifier') return bindings.secrets.has(node.name);
  return (
    node.type === 'MemberExpression' && staticPropertyName(node) === 'secrets' && isCtx(node.object, bindings)
  );
}
