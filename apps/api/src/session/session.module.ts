import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { LocalStrategy } from './local.strategy';
import { LoginGuard } from './login.guard';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';

/** Dashboard sign-in (passport-local), sign-out and `GET /api/v1/me`. */
@Module({
  // 10 sign-in attempts a minute per client address and email.
  imports: [PassportModule, ThrottlerModule.forRoot([{ name: 'login', ttl: 60_000, limit: 10 }])],
  controllers: [SessionController],
  providers: [SessionService, LocalStrategy, LoginGuard, LoginThrottlerGuard],
  exports: [SessionService],
})
export class SessionModule {}
