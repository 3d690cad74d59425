import type { Scope, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import { type AnyNode, constInitializer, type FunctionNode, isFunctionNode, literalString } from './ast';

/** What the script's default export turned out to be, as far as can be seen without running it. */
export type Entry =
  | { kind: 'missing' }
  /** The entry point: the function the sandbox calls as `(input, ctx)`. */
  | { kind: 'function'; fn: FunctionNode; reported: AnyNode }
  /** Certainly not something the sandbox can call (a class, an object, a generator …). */
  | { kind: 'not-callable'; what: string; reported: AnyNode }
  /** Something only running it would tell (`export default wrap(run)`): given the benefit of the doubt. */
  | { kind: 'unknown' };

/** Bounds how many `const a = b` hops are followed, so that a chain cannot cost much. */
const maxAliasHops = 8;

/** Finds and classifies the default export: `export default …` or `export { run as default }`. */
export function findEntry(program: ESTree.Program, sourceCode: SourceCode): Entry {
  for (const statement of program.body) {
    if (statement.type === 'ExportDefaultDeclaration') {
      return classify(statement.declaration, statement.declaration, moduleScope(program, sourceCode), 0);
    }
    if (statement.type === 'ExportNamedDeclaration') {
      for (const specifier of statement.specifiers) {
        const exported =
          specifier.exported.type === 'Identifier'
            ? specifier.exported.name
            : literalString(specifier.exported);
        if (exported !== 'default') continue;
        // `export { default } from 'x'` re-exports a module: mendflow/no-import already reports it.
        if (statement.source || specifier.local.type !== 'Identifier') return { kind: 'unknown' };
        return classify(specifier.local, specifier, moduleScope(program, sourceCode), 0);
      }
    }
  }
  return { kind: 'missing' };
}

function moduleScope(program: ESTree.Program, sourceCode: SourceCode): Scope.Scope {
  const globalScope = sourceCode.getScope(program);
  return globalScope.childScopes.find((scope) => scope.type === 'module') ?? globalScope;
}

function classify(node: AnyNode, reported: AnyNode, scope: Scope.Scope, hops: number): Entry {
  if (isFunctionNode(node)) {
    if (node.generator) return { kind: 'not-callable', what: 'a generator function', reported };
    return { kind: 'function', fn: node, reported };
  }
  switch (node.type) {
    case 'ClassDeclaration':
    case 'ClassExpression':
      return { kind: 'not-callable', what: 'a class', reported };
    case 'ObjectExpression':
      return { kind: 'not-callable', what: 'an object', reported };
    case 'ArrayExpression':
      return { kind: 'not-callable', what: 'an array', reported };
    case 'Literal':
    case 'TemplateLiteral':
    case 'BinaryExpression':
    case 'UnaryExpression':
    case 'UpdateExpression':
      return { kind: 'not-callable', what: 'a plain value', reported };
    case 'Identifier':
      return hops < maxAliasHops ? classifyBinding(node, reported, scope, hops) : { kind: 'unknown' };
    default:
      return { kind: 'unknown' };
  }
}

/** `export default run` / `export { run as default }`: look at what `run` is bound to. */
function classifyBinding(id: ESTree.Identifier, reported: AnyNode, scope: Scope.Scope, hops: number): Entry {
  const variable = scope.set.get(id.name);
  const def = variable?.defs[0];
  if (!variable || !def) return { kind: 'unknown' };
  if (def.type === 'FunctionName' || def.type === 'ClassName')
    return classify(def.node, reported, scope, hops + 1);
  const init = constInitializer(variable);
  return init ? classify(init, reported, scope, hops + 1) : { kind: 'unknown' };
}
