import type { Rule } from 'eslint';
import { staticPropertyName } from '../analysis/ast';
import { trackCtxCalls } from '../analysis/ctx-calls';
import { CTX_CAPABILITIES } from '../sandbox-globals';

const KNOWN = [...CTX_CAPABILITIES.keys()].map((name) => `ctx.${name}`).join(', ');

/**
 * ctx is frozen and holds only what the sandbox provides, so `ctx.wait(…)` or `ctx.sleepFor(…)` is a
 * TypeError the moment the line runs (perhaps only after a wait, days into a run). Said before
 * deploy, with the list of what exists.
 */
export const unknownCtxMember: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow ctx members the sandbox does not provide' },
    schema: [],
    messages: { unknown: 'ctx.{{name}} does not exist: ctx offers {{known}}.' },
  },
  create(context) {
    return trackCtxCalls(context, ({ members }) => {
      for (const member of members) {
        const name = staticPropertyName(member) as string;
        if (!CTX_CAPABILITIES.has(name)) {
          context.report({ node: member.property, messageId: 'unknown', data: { name, known: KNOWN } });
        }
      }
    });
  },
};
