import type { Rule } from 'eslint';
import { secretName } from '@mendflow/common';
import { trackCtxCalls } from '../analysis/ctx-calls';
import { scopesOf, staticString } from '../analysis/static-string';

export interface UndeclaredSecretOptions {
  /** manifest.permissions.secrets */
  secrets: string[];
}

const optionsSchema = {
  type: 'object',
  properties: { secrets: { type: 'array', items: { type: 'string' } } },
  required: ['secrets'],
  additionalProperties: false,
} as const;

/**
 * ctx.secrets.get of a name the manifest does not declare is refused at run time (class `policy`).
 * Where the name is written in the source, say so before deploy.
 */
export const undeclaredSecret: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'ctx.secrets.get names that are not in manifest.permissions.secrets' },
    schema: [optionsSchema],
    messages: {
      undeclared:
        'Secret "{{name}}" is not declared: add "{{name}}" to manifest.permissions.secrets, or ctx.secrets.get refuses it at run time.',
      invalidName:
        'Secret name "{{name}}" can never be declared: secret names are upper-case letters, digits and underscores, starting with a letter (like "CRM_TOKEN").',
    },
  },
  create(context) {
    const declared = new Set(((context.options[0] ?? { secrets: [] }) as UndeclaredSecretOptions).secrets);
    const scopeOf = scopesOf(context);
    return trackCtxCalls(context, ({ secretGet }) => {
      for (const call of secretGet) {
        const [nameArgument] = call.arguments;
        if (!nameArgument || nameArgument.type === 'SpreadElement') continue;
        const name = staticString(nameArgument, scopeOf);
        if (name === undefined || declared.has(name)) continue;
        const messageId = secretName.safeParse(name).success ? 'undeclared' : 'invalidName';
        context.report({ node: nameArgument, messageId, data: { name } });
      }
    });
  },
};
