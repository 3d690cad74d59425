import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import { constInitializer, findVariable } from './ast';

/**
 * The start of the string an expression evaluates to, as far as the source shows it. `complete` is true
 * when `text` is the whole string. `` `https://api.example.com/leads/${id}` `` gives the incomplete
 * prefix `https://api.example.com/leads/`, enough to know the host.
 */
export interface StaticPrefix {
  text: string;
  complete: boolean;
}

/** Bounds how far `const` bindings and `+` chains are followed, so a pathological script costs little. */
const maxDepth = 16;

/** Finds the scope a node's identifiers are resolved in. */
export type ScopeOf = (node: ESTree.Node) => Scope.Scope;

export function scopesOf(context: Rule.RuleContext): ScopeOf {
  return (node) => context.sourceCode.getScope(node);
}

export function staticPrefix(node: ESTree.Node, scopeOf: ScopeOf, depth = 0): StaticPrefix | undefined {
  if (depth > maxDepth) return undefined;
  switch (node.type) {
    case 'Literal':
      return typeof node.value === 'string' ? { text: node.value, complete: true } : undefined;
    case 'TemplateLiteral': {
      // `cooked` is null only for invalid escapes in tagged templates, which never reach here.
      const head = node.quasis[0]?.value.cooked;
      return head === undefined || head === null
        ? undefined
        : { text: head, complete: node.expressions.length === 0 };
    }
    case 'BinaryExpression': {
      if (node.operator !== '+' || node.left.type === 'PrivateIdentifier') return undefined;
      const left = staticPrefix(node.left, scopeOf, depth + 1);
      if (!left || !left.complete) return left;
      const right = staticPrefix(node.right, scopeOf, depth + 1);
      return right
        ? { text: left.text + right.text, complete: right.complete }
        : { text: left.text, complete: false };
    }
    case 'Identifier': {
      const variable = findVariable(scopeOf(node), node.name);
      const init = variable && constInitializer(variable);
      return init ? staticPrefix(init, scopeOf, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

/** The whole string an expression always evaluates to, when the source shows all of it. */
export function staticString(node: ESTree.Node, scopeOf: ScopeOf): string | undefined {
  const prefix = staticPrefix(node, scopeOf);
  return prefix?.complete ? prefix.text : undefined;
}
