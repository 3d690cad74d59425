import { SCRIPT_LANGUAGES } from '@mendflow/contracts';
import { z } from 'zod';

export { SCRIPT_LANGUAGES, type ScriptLanguage } from '@mendflow/contracts';

/** The optional `language` of a create, a new version or a lint request; detected when absent. */
export const scriptLanguage = z.enum(SCRIPT_LANGUAGES);
