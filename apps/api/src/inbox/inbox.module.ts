import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';

@Module({ imports: [RunsModule], controllers: [InboxController], providers: [InboxService] })
export class InboxModule {}
