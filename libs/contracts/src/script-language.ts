/**
 * The languages a script version may be written in. The sandbox always runs JavaScript: a TypeScript
 * version is type-stripped (libs/lint/src/typescript.ts) before it is linted and before every attempt.
 */
export const SCRIPT_LANGUAGES = ['javascript', 'typescript'] as const;
export type ScriptLanguage = (typeof SCRIPT_LANGUAGES)[number];
