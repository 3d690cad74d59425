import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiAuthGuard } from './auth.guard';
import { Authenticator } from './authenticator.service';
import { BootstrapService } from './bootstrap.service';
import { SessionStrategy } from './session.strategy';

@Module({
  imports: [PassportModule],
  providers: [
    Authenticator,
    ApiKeyStrategy,
    SessionStrategy,
    BootstrapService,
    { provide: APP_GUARD, useClass: ApiAuthGuard },
  ],
  exports: [Authenticator],
})
export class AuthModule {}
