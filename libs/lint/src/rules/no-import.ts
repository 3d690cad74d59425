import type { Rule } from 'eslint';
import type * as ESTree from 'estree';

const advice =
  'scripts cannot load modules; everything a script can reach is on ctx (ctx.fetch for HTTP, ctx.kv for storage …)';

/** The sandbox links no modules: any import would fail when the script is instantiated. */
export const noImport: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow import declarations, import() and re-exports: the sandbox has no modules',
    },
    schema: [],
    messages: {
      staticImport: `Cannot import {{source}}: ${advice}.`,
      dynamicImport: `import() is not available: ${advice}.`,
      reexport: `Cannot re-export from {{source}}: ${advice}.`,
    },
  },
  create(context) {
    return {
      ImportDeclaration(node) {
        context.report({ node, messageId: 'staticImport', data: { source: sourceText(node.source) } });
      },
      ImportExpression(node) {
        context.report({ node, messageId: 'dynamicImport' });
      },
      ExportAllDeclaration(node) {
        context.report({ node, messageId: 'reexport', data: { source: sourceText(node.source) } });
      },
      ExportNamedDeclaration(node) {
        if (node.source)
          context.report({ node, messageId: 'reexport', data: { source: sourceText(node.source) } });
      },
    };
  },
};

function sourceText(source: ESTree.Literal): string {
  return typeof source.value === 'string' ? `'${source.value}'` : 'a module';
}
