import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import { staticPropertyName } from '../analysis/ast';
import { FORBIDDEN_GLOBALS, type ForbiddenGlobal } from '../sandbox-globals';

/**
 * Node and browser globals that are not in the sandbox (require, process, setTimeout, fetch …), plus
 * code generation (eval, the Function constructor) and WebAssembly. Works on scope analysis, so a
 * script's own `const fetch = ctx.fetch` is not mistaken for the global, and `globalThis.process`
 * is caught as well as `process`.
 */
export const forbiddenGlobal: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow globals and constructs the sandbox does not provide, and say what to use instead',
    },
    schema: [],
    messages: { forbidden: '{{message}}' },
  },
  create(context) {
    const report = (node: ESTree.Node, forbidden: ForbiddenGlobal): void => {
      context.report({ node, messageId: 'forbidden', data: { message: forbidden.message } });
    };
    return {
      'Program:exit'(program) {
        const globalScope = context.sourceCode.getScope(program);
        for (const reference of globalReferences(globalScope)) {
          const identifier = reference.identifier as ESTree.Identifier & Rule.NodeParentExtension;
          if (isTypeofOperand(identifier)) continue;
          const forbidden = FORBIDDEN_GLOBALS.get(identifier.name);
          if (forbidden && (!forbidden.onlyWhenCalled || isCalled(identifier))) report(identifier, forbidden);
          if (identifier.name === 'globalThis') checkGlobalThisMember(identifier, report);
        }
      },
    };
  },
};

/**
 * Every reference that reaches the global scope: to declared globals (the ECMAScript built-ins and the
 * names sandbox-globals.ts declares) and to undeclared names, which ESLint leaves in `through`.
 */
function* globalReferences(globalScope: Scope.Scope): Iterable<Scope.Reference> {
  for (const variable of globalScope.variables) yield* variable.references;
  yield* globalScope.through;
}

/** `globalThis.process`, `globalThis['eval'](…)`. */
function checkGlobalThisMember(
  identifier: ESTree.Identifier & Rule.NodeParentExtension,
  report: (node: ESTree.Node, forbidden: ForbiddenGlobal) => void,
): void {
  const member = identifier.parent;
  if (member.type !== 'MemberExpression' || member.object !== identifier || isTypeofOperand(member)) return;
  const name = staticPropertyName(member);
  const forbidden = name === undefined ? undefined : FORBIDDEN_GLOBALS.get(name);
  if (forbidden && (!forbidden.onlyWhenCalled || isCalled(member))) report(member, forbidden);
}

/** `typeof process !== 'undefined'` is a portable feature test, harmless in the sandbox. */
function isTypeofOperand(node: ESTree.Node & Rule.NodeParentExtension): boolean {
  return node.parent.type === 'UnaryExpression' && node.parent.operator === 'typeof';
}

/** `F(…)`, `new F(…)`, `F.call(…)`, `F.apply(…)`, `F.bind(…)(…)`. */
function isCalled(node: ESTree.Node & Rule.NodeParentExtension): boolean {
  const parent = node.parent;
  if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.callee === node)
    return true;
  if (parent.type !== 'MemberExpression' || parent.object !== node) return false;
  const method = staticPropertyName(parent);
  return method === 'call' || method === 'apply' || method === 'bind';
}
