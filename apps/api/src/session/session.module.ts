import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { LoginThrottle } from './login-throttle';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { LocalStrategy } from './local.strategy';
import { LoginGuard } from './login.guard';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';

/** Dashboard sign-in (passport-local), sign-out and `GET /api/v1/me`; sign-in is rate-limited in Redis. */
@Module({
  imports: [PassportModule],
  controllers: [SessionController],
  providers: [SessionService, LocalStrategy, LoginGuard, LoginThrottle, LoginThrottlerGuard],
  exports: [SessionService],
})
export class SessionModule {}
