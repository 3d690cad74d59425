import { Injectable } from '@nestjs/common';
import { InputSchemaChecker } from '@mendflow/common';

export { inputSchemaProblem } from '@mendflow/common';

/**
 * Checks a run's input against the deployed manifest's `inputSchema`, so a bad input is a 400 naming
 * the field instead of a failed run (the checker is shared with the event router).
 */
@Injectable()
export class RunInputValidator extends InputSchemaChecker {}
