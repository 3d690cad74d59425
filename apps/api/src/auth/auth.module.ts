import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiAuthGuard } from './auth.guard';
import { BootstrapService } from './bootstrap.service';

@Module({
  imports: [PassportModule],
  providers: [ApiKeyStrategy, BootstrapService, { provide: APP_GUARD, useClass: ApiAuthGuard }],
})
export class AuthModule {}
