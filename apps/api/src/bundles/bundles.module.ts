import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { secretBoxProvider } from '../secrets/secret-box.provider';
import { BundlesController, SigningKeysController } from './bundles.controller';
import { BundlesService } from './bundles.service';
import { SigningKeysService } from './signing-keys.service';

/** Signed bundles: export, import, the workspace's signing key and its trusted publishers (docs/bundles.md). */
@Module({
  imports: [AutomationsModule],
  controllers: [BundlesController, SigningKeysController],
  providers: [BundlesService, SigningKeysService, secretBoxProvider],
})
export class BundlesModule {}
