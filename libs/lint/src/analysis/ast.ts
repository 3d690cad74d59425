import type { Scope } from 'eslint';
import type * as ESTree from 'estree';

/** `'text'` or `` `text` `` (no expressions): the string a node always evaluates to, else undefined. */
export function literalString(node: ESTree.Node): string | undefined {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0)
    return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The property name of `a.b`, `a['b']` or `` a[`b`] ``; undefined when it is computed at run time. */
export function staticPropertyName(node: ESTree.MemberExpression): string | undefined {
  if (!node.computed && node.property.type === 'Identifier') return node.property.name;
  return literalString(node.property);
}

/** The key of an object property or pattern property, when it is written out. */
export function staticKeyName(property: ESTree.Property | ESTree.AssignmentProperty): string | undefined {
  if (!property.computed && property.key.type === 'Identifier') return property.key.name;
  return literalString(property.key);
}

/** `name` in `name` or in `name = default`. */
export function boundName(pattern: ESTree.Pattern): string | undefined {
  if (pattern.type === 'Identifier') return pattern.name;
  if (pattern.type === 'AssignmentPattern' && pattern.left.type === 'Identifier') return pattern.left.name;
  return undefined;
}

/** Finds the variable `name` as seen from `scope`, walking outwards. */
export function findVariable(scope: Scope.Scope, name: string): Scope.Variable | undefined {
  for (let current: Scope.Scope | null = scope; current; current = current.upper) {
    const variable = current.set.get(name);
    if (variable) return variable;
  }
  return undefined;
}

/**
 * The initializer of a `const name = <init>` binding, the only kind of variable whose value is known
 * without running the script. Destructured and `let`/`var` bindings give undefined.
 */
export function constInitializer(variable: Scope.Variable): ESTree.Expression | undefined {
  const [def, ...more] = variable.defs;
  if (!def || more.length > 0 || def.type !== 'Variable' || def.parent.kind !== 'const') return undefined;
  if (def.node.id.type !== 'Identifier') return undefined;
  return def.node.init ?? undefined;
}

export type FunctionNode =
  ESTree.MaybeNamedFunctionDeclaration | ESTree.FunctionExpression | ESTree.ArrowFunctionExpression;

/** Any node, including the anonymous declarations `export default function () {}` / `class {}` produce. */
export type AnyNode = ESTree.Node | ESTree.MaybeNamedFunctionDeclaration | ESTree.MaybeNamedClassDeclaration;

export function isFunctionNode(node: AnyNode): node is FunctionNode {
  return (
    node.type === 'FunctionDeclaration' ||
    node.type === 'FunctionExpression' ||
    node.type === 'ArrowFunctionExpression'
  );
}
