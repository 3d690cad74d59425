import { Module } from '@nestjs/common';
import { SecretRequestsController } from '../secret-requests/secret-requests.controller';
import { secretBoxProvider } from './secret-box.provider';
import { SecretsController } from './secrets.controller';

@Module({ controllers: [SecretsController, SecretRequestsController], providers: [secretBoxProvider] })
export class SecretsModule {}
