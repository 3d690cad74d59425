import type { Rule } from 'eslint';
import { type CtxCalls, trackCtxCalls } from '../analysis/ctx-calls';
import { scopesOf, staticPrefix } from '../analysis/static-string';
import { fetchTarget, hostAllowed, hostEntry } from '../fetch-target';

export interface UndeclaredHostOptions {
  /** manifest.permissions.hosts */
  hosts: string[];
}

const optionsSchema = {
  type: 'object',
  properties: { hosts: { type: 'array', items: { type: 'string' } } },
  required: ['hosts'],
  additionalProperties: false,
} as const;

/**
 * A ctx.fetch to a host the manifest does not list fails closed at run time (class `policy`, never
 * repaired). Where the URL's host is written in the source (a literal, a template whose host part has
 * no `${}`, a `const`, a `'https://host/' + path`), say so before deploy.
 */
export const undeclaredHost: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'ctx.fetch URLs whose host is not in manifest.permissions.hosts' },
    schema: [optionsSchema],
    messages: {
      undeclared:
        'ctx.fetch to host "{{host}}", which manifest.permissions.hosts does not allow: add "{{host}}" to permissions.hosts, or the call is refused at run time.',
    },
  },
  create(context) {
    const { hosts } = (context.options[0] ?? { hosts: [] }) as UndeclaredHostOptions;
    const scopeOf = scopesOf(context);
    return trackCtxCalls(context, ({ fetch }: CtxCalls) => {
      for (const call of fetch) {
        const [urlArgument] = call.arguments;
        if (!urlArgument || urlArgument.type === 'SpreadElement') continue;
        const prefix = staticPrefix(urlArgument, scopeOf);
        const target = prefix && fetchTarget(prefix);
        if (target?.kind !== 'url' || hostAllowed(target.url, hosts)) continue;
        context.report({ node: urlArgument, messageId: 'undeclared', data: { host: hostEntry(target.url) } });
      }
    });
  },
};
