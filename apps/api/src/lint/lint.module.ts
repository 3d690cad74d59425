import { Global, Module } from '@nestjs/common';
import { LintController } from './lint.controller';
import { ScriptChecker } from './script-checker.service';

@Global()
@Module({ controllers: [LintController], providers: [ScriptChecker], exports: [ScriptChecker] })
export class LintModule {}
