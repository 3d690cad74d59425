import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { scriptLanguage, scriptSource } from '@mendflow/common';
import { z } from 'zod';
import { Requires } from '../auth/principal';
import { openApiSchema } from '../common/openapi';
import { ZodPipe } from '../common/zod.pipe';
import { ScriptChecker } from './script-checker.service';

const lintBody = z.strictObject({
  source: scriptSource,
  manifest: z.unknown().optional(),
  /** Detected from the source when absent; the response says which language was linted. */
  language: scriptLanguage.optional(),
});

@ApiTags('lint')
@ApiBearerAuth()
@Controller('api/v1/lint')
export class LintController {
  constructor(private readonly checker: ScriptChecker) {}

  @Post()
  @Requires('automations:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lint a script (and optionally its manifest) without saving it' })
  @ApiBody({ schema: openApiSchema(lintBody) })
  lint(@Body(new ZodPipe(lintBody)) body: z.output<typeof lintBody>) {
    const { ok, language, diagnostics } = this.checker.lint(body.source, body.manifest, body.language);
    return { ok, language, diagnostics };
  }
}
