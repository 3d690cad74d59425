import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { secretBoxProvider } from '../secrets/secret-box.provider';
import { HookRateLimit } from './hook-rate-limit';
import { HooksController, WebhookTokensController } from './hooks.controller';
import { HooksService } from './hooks.service';
import { RunWaiter } from './run-waiter';

/** Webhooks: `POST /api/v1/hooks/:automationId/:token` and the owner's token routes (docs/webhooks.md). */
@Module({
  imports: [RunsModule],
  controllers: [WebhookTokensController, HooksController],
  providers: [HooksService, HookRateLimit, RunWaiter, secretBoxProvider],
})
export class HooksModule {}
