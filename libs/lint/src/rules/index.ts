import type { ESLint } from 'eslint';
import { defaultExport } from './default-export';
import { fetchUrl } from './fetch-url';
import { forbiddenGlobal } from './forbidden-global';
import { noImport } from './no-import';
import { undeclaredHost } from './undeclared-host';
import { undeclaredSecret } from './undeclared-secret';
import { unknownCtxMember } from './unknown-ctx-member';

/** The Mendflow rules, registered under the `mendflow/` prefix. */
export const mendflowPlugin: ESLint.Plugin = {
  meta: { name: '@mendflow/lint' },
  rules: {
    'default-export': defaultExport,
    'forbidden-global': forbiddenGlobal,
    'no-import': noImport,
    'fetch-url': fetchUrl,
    'undeclared-host': undeclaredHost,
    'undeclared-secret': undeclaredSecret,
    'unknown-ctx-member': unknownCtxMember,
  },
};
