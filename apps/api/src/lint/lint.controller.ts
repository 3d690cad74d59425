import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { lintResultSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { scriptLanguage, scriptSource } from '@mendflow/common';
import { z } from 'zod';
import { Requires } from '../auth/principal';
import { ZodPipe } from '../common/zod.pipe';
import { ScriptChecker } from './script-checker.service';

const lintBody = z.strictObject({
  source: scriptSource,
  manifest: z.unknown().optional(),
  /** Detected from the source when absent; the response says which language was linted. */
  language: scriptLanguage.optional(),
});

@ApiTags('lint')
@Controller('api/v1/lint')
export class LintController {
  constructor(private readonly checker: ScriptChecker) {}

  @Post()
  @Requires('automations:write')
  @HttpCode(200)
  @ApiContract({
    summary: 'Lint a script (and optionally its manifest) without saving it',
    body: lintBody,
    response: { status: 200, schema: lintResultSchema },
  })
  lint(@Body(new ZodPipe(lintBody)) body: z.output<typeof lintBody>) {
    const { ok, language, diagnostics } = this.checker.lint(body.source, body.manifest, body.language);
    return { ok, language, diagnostics };
  }
}
