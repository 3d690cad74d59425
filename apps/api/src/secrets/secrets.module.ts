import { Module } from '@nestjs/common';
import { secretBoxProvider } from './secret-box.provider';
import { SecretsController } from './secrets.controller';

@Module({ controllers: [SecretsController], providers: [secretBoxProvider] })
export class SecretsModule {}
