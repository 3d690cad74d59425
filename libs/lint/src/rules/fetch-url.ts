import type { Rule } from 'eslint';
import { trackCtxCalls } from '../analysis/ctx-calls';
import { scopesOf, staticPrefix } from '../analysis/static-string';
import { fetchTarget } from '../fetch-target';

/** ctx.fetch takes an absolute http(s) URL; a relative or `file:` URL can only fail at run time. */
export const fetchUrl: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'ctx.fetch URLs that can never work: relative, malformed or not http(s)' },
    schema: [],
    messages: {
      invalid:
        'ctx.fetch URL "{{url}}" {{reason}}: pass an absolute URL such as "https://api.example.com/path".',
    },
  },
  create(context) {
    const scopeOf = scopesOf(context);
    return trackCtxCalls(context, ({ fetch }) => {
      for (const call of fetch) {
        const [urlArgument] = call.arguments;
        if (!urlArgument || urlArgument.type === 'SpreadElement') continue;
        const prefix = staticPrefix(urlArgument, scopeOf);
        const target = prefix && fetchTarget(prefix);
        if (prefix && target?.kind === 'invalid') {
          const url = prefix.complete ? prefix.text : `${prefix.text}…`;
          context.report({
            node: urlArgument,
            messageId: 'invalid',
            data: { url: truncate(url), reason: target.reason },
          });
        }
      }
    });
  },
};

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
