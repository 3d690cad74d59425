import type { Rule } from 'eslint';
import { findEntry } from '../analysis/entry';

const example = '`export default async function run(input, ctx) { … }`';

/** The sandbox calls the default export as `(input, ctx)`; without a callable one, no run can start. */
export const defaultExport: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'The script must export its entry point as a function: export default async function run(input, ctx)',
    },
    schema: [],
    messages: {
      missing: `The script has no default export: the sandbox calls the default export, so write ${example}.`,
      notCallable: `The default export is {{what}}, but the sandbox calls it as a function: write ${example}.`,
    },
  },
  create(context) {
    return {
      Program(program) {
        const entry = findEntry(program, context.sourceCode);
        if (entry.kind === 'missing') {
          context.report({ loc: { line: 1, column: 0 }, messageId: 'missing' });
        } else if (entry.kind === 'not-callable') {
          context.report({ node: entry.reported, messageId: 'notCallable', data: { what: entry.what } });
        }
      },
    };
  },
};
