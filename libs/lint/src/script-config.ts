import type { Linter } from 'eslint';
import type { Manifest } from '@mendflow/common';
import { mendflowPlugin } from './rules';
import { scriptGlobals } from './sandbox-globals';

/** The name the script is linted under; the config below matches it and nothing is read from disk. */
export const SCRIPT_FILENAME = 'script.js';

/**
 * Core rules chosen for scripts. Errors are mistakes that fail at run time whenever the line runs
 * (an undefined name, assigning a const); warnings are likely bugs that do not block a deploy. Style
 * rules are left out on purpose: a script written by a person or an agent should not be refused for taste.
 */
const coreRules: Linter.RulesRecord = {
  'no-undef': ['error', { typeof: false }],
  'no-const-assign': 'error',
  'no-import-assign': 'error',
  'no-obj-calls': 'error',
  'no-new-native-nonconstructor': 'error',
  'no-this-before-super': 'error',
  'no-invalid-regexp': 'error',
  'no-unreachable': 'warn',
  'no-dupe-keys': 'warn',
  'no-dupe-class-members': 'warn',
  'no-dupe-else-if': 'warn',
  'no-duplicate-case': 'warn',
  'no-func-assign': 'warn',
  'no-class-assign': 'warn',
  'no-global-assign': 'warn',
  'no-self-assign': 'warn',
  'no-self-compare': 'warn',
  'no-unsafe-finally': 'warn',
  'no-unsafe-negation': 'warn',
  'no-unsafe-optional-chaining': 'warn',
  'no-async-promise-executor': 'warn',
  'no-compare-neg-zero': 'warn',
  'no-constant-binary-expression': 'warn',
  'no-loss-of-precision': 'warn',
  'no-setter-return': 'warn',
  'getter-return': 'warn',
  'for-direction': 'warn',
  'use-isnan': 'warn',
  'valid-typeof': 'warn',
  'no-shadow-restricted-names': 'warn',
  // Only same-scope uses before the declaration: those are certain TDZ ReferenceErrors, while a use in
  // a function declared earlier and called later is fine.
  'no-use-before-define': [
    'warn',
    { functions: false, classes: false, variables: false, allowNamedExports: true },
  ],
};

/** Everything that does not depend on the manifest; built once. */
const baseConfig: Linter.Config = {
  files: [SCRIPT_FILENAME],
  languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: scriptGlobals() },
  // Inline `eslint-disable` or `/* global process */` comments would let a script switch the checks off.
  linterOptions: {
    noInlineConfig: true,
    reportUnusedDisableDirectives: 'off',
    reportUnusedInlineConfigs: 'off',
  },
  plugins: { mendflow: mendflowPlugin },
  rules: {
    ...coreRules,
    'mendflow/default-export': 'error',
    'mendflow/forbidden-global': 'error',
    'mendflow/no-import': 'error',
    'mendflow/fetch-url': 'error',
    'mendflow/unknown-ctx-member': 'error',
  },
};

/**
 * The config for one lint. The permission checks take the manifest's lists as rule options; when the
 * permissions themselves are invalid they stay off, since every call would look undeclared.
 */
export function scriptConfig(permissions: Manifest['permissions'] | undefined): Linter.Config[] {
  if (!permissions) return [baseConfig];
  return [
    baseConfig,
    {
      files: [SCRIPT_FILENAME],
      rules: {
        'mendflow/undeclared-host': ['error', { hosts: permissions.hosts }],
        'mendflow/undeclared-secret': ['error', { secrets: permissions.secrets }],
      },
    },
  ];
}
