import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SessionModule } from '../session/session.module';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';

/** Teams: members and their roles, invitations, and a user's several workspaces. */
@Module({
  imports: [AuthModule, SessionModule],
  controllers: [WorkspacesController, MembersController, InvitationsController],
  providers: [WorkspacesService, MembersService, InvitationsService],
})
export class TeamsModule {}
