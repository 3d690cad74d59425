import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiAuthGuard } from './auth.guard';
import { Authenticator } from './authenticator.service';
import { BootstrapService } from './bootstrap.service';
import { PermissionGuard } from './permission.guard';
import { SessionStrategy } from './session.strategy';

@Module({
  imports: [PassportModule],
  providers: [
    Authenticator,
    ApiKeyStrategy,
    SessionStrategy,
    BootstrapService,
    // In this order: authenticate, then check the route's permission against the caller's role.
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    { provide: APP_GUARD, useClass: PermissionGuard },
  ],
  exports: [Authenticator],
})
export class AuthModule {}
