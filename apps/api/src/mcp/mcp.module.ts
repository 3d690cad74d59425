import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { RunWaiter } from '../hooks/run-waiter';
import { RunsModule } from '../runs/runs.module';
import { ExplorationService } from './exploration.service';
import { McpController } from './mcp.controller';
import { McpToolServices } from './mcp-tool-services';
import { RunReporter } from './run-report';

/** The MCP server for agents at /mcp (docs/mcp.md). */
@Module({
  imports: [AutomationsModule, RunsModule],
  controllers: [McpController],
  providers: [McpToolServices, ExplorationService, RunReporter, RunWaiter],
})
export class McpModule {}
