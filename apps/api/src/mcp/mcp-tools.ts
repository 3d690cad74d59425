import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  automationName,
  ErrorCodes,
  type Permission,
  scriptLanguage,
  scriptSource,
  secretName,
  startRunBody,
  ValidationError,
} from '@mendflow/common';
import { INBOX_STATUSES } from '@mendflow/contracts';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import { automationDetailView, automationView } from '../automations/automation.views';
import { inboxItemView } from '../inbox/inbox.views';
import { summarizeReport } from './run-report';
import { requirePermission, toolError, toolResult } from './tool-result';
import type { McpToolServices } from './mcp-tool-services';

/** The longest a tool waits for a run before answering with its id and status (HTTP proxies allow ~2 min). */
export const MAX_WAIT_SECONDS = 110;
const waitSeconds = z.int().min(0).max(MAX_WAIT_SECONDS);
const manifest = z
  .record(z.string(), z.unknown())
  .optional()
  .describe('The manifest (the same schema as a deploy: limits, allowedHosts, secrets, retry …)');
const language = scriptLanguage
  .optional()
  .describe('javascript or typescript (type-stripped); detected from the source when omitted');

/**
 * Every tool's input schema, name and permission. Each tool checks the permission of the REST route it
 * matches, against the key's role, and refuses with a FORBIDDEN tool error. There is deliberately no
 * tool for approvals, inbox resolutions or secret values (docs/mcp.md): people decide those.
 */
export const MCP_TOOLS = {
  execute: {
    permission: 'automations:write',
    description:
      'Run a script once, now, in the same sandbox and with the same ctx deployed automations get (an exploration run, visible in the dashboard). Returns output, logs, the error with line/column, the failure classification and the host calls made. Never retried or repaired.',
    input: {
      source: scriptSource.describe('The script: export default async function run(input, ctx) { … }'),
      manifest,
      language,
      input: z.unknown().optional().describe('The run input: the script’s first argument'),
      wait: waitSeconds.default(60).describe('Seconds to wait for the run to finish'),
    },
  },
  lint: {
    permission: 'automations:write',
    description: 'Lint a script and optionally its manifest without saving or running it',
    input: { source: scriptSource, manifest, language },
  },
  deploy: {
    permission: 'automations:write',
    description:
      'Deploy a script: create an automation (name) or add a version to one (automationId); it is linted first',
    input: {
      automationId: z.uuid().optional().describe('Add a version to this automation instead of creating one'),
      name: automationName.optional().describe('The new automation’s name (when no automationId)'),
      description: z.string().max(2000).optional(),
      source: scriptSource,
      manifest,
      language,
    },
  },
  run: {
    permission: 'runs:write',
    description:
      'Start a run of a deployed automation; with wait > 0, wait up to that many seconds for its result',
    input: {
      automationId: z.uuid(),
      input: z.unknown().optional(),
      idempotencyKey: startRunBody.unwrap().shape.idempotencyKey,
      wait: waitSeconds.default(0),
    },
  },
  get_run: {
    permission: 'workspace:read',
    description: 'A run: status, output, error with location, classification, logs, host calls and timeline',
    input: { runId: z.uuid() },
  },
  list_automations: {
    permission: 'workspace:read',
    description: 'The workspace’s automations, newest first',
    input: {
      limit: z.int().min(1).max(200).default(50),
      cursor: z.string().max(200).optional(),
    },
  },
  list_inbox: {
    permission: 'workspace:read',
    description: 'Inbox items (open by default), read only: people resolve them in the dashboard',
    input: {
      status: z.enum(INBOX_STATUSES).default('open'),
      limit: z.int().min(1).max(200).default(50),
    },
  },
  request_secret: {
    permission: 'automations:write',
    description:
      'Ask a person to set a secret (by name and purpose) in the dashboard; the value never passes through this conversation',
    input: {
      name: secretName,
      purpose: z.string().trim().min(1).max(500).describe('What the secret is for, shown to the person'),
    },
  },
} as const satisfies Record<string, { permission: Permission; description: string; input: z.ZodRawShape }>;

export type McpToolName = keyof typeof MCP_TOOLS;
type ToolArgs<N extends McpToolName> = z.output<z.ZodObject<(typeof MCP_TOOLS)[N]['input']>>;
type Handlers = { [N in McpToolName]: (args: ToolArgs<N>) => Promise<CallToolResult> };

/** Registers every tool on `server`, acting as `principal` (an API key, with its role). */
export function registerMcpTools(server: McpServer, principal: Principal, services: McpToolServices): void {
  const handlers = toolHandlers(principal, services);
  for (const name of Object.keys(MCP_TOOLS) as McpToolName[]) {
    const tool = MCP_TOOLS[name];
    const handler = handlers[name] as (args: unknown) => Promise<CallToolResult>;
    server.registerTool(
      name,
      { description: tool.description, inputSchema: tool.input },
      async (args: unknown) => {
        try {
          requirePermission(principal.role, tool.permission);
          return await handler(args);
        } catch (error) {
          services.onError(name, error);
          return toolError(error);
        }
      },
    );
  }
}

function toolHandlers(principal: Principal, s: McpToolServices): Handlers {
  const { workspaceId } = principal;
  return {
    execute: async ({ source, manifest, language, input, wait }) => {
      const report = await s.exploration.execute(principal, {
        source,
        manifest,
        language,
        input,
        waitSeconds: wait,
      });
      return toolResult(summarizeReport(report), report);
    },
    lint: ({ source, manifest, language }) => {
      const { ok, diagnostics } = s.checker.lint(source, manifest, language);
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      const summary = ok ? `lint ok, ${diagnostics.length} diagnostic(s)` : `lint failed: ${errors} error(s)`;
      return Promise.resolve(toolResult(summary, { ok, diagnostics }));
    },
    deploy: async ({ automationId, name, description, source, manifest, language }) => {
      if (automationId) {
        await s.automations.addVersion(principal, automationId, { source, manifest, language });
        const automation = automationDetailView(await s.automations.get(principal, automationId));
        return toolResult(
          `deployed version ${automation.deployedVersion?.number} of ${automation.name}`,
          automation,
        );
      }
      if (!name) throw missingName();
      const automation = automationDetailView(
        await s.automations.create(principal, { name, description, source, manifest, language }),
      );
      return toolResult(`created ${automation.name} (${automation.id}) with version 1 deployed`, automation);
    },
    run: async ({ automationId, input, idempotencyKey, wait }) => {
      const run = await s.runs.start(principal, automationId, { input, idempotencyKey });
      const rested = wait > 0 ? await s.waiter.wait(workspaceId, run.id, wait * 1000) : run;
      const report = await s.reporter.report(workspaceId, rested, s.waiter.isSettled(rested.status));
      return toolResult(summarizeReport(report), report);
    },
    get_run: async ({ runId }) => {
      const run = await s.runsRepository.get(workspaceId, runId);
      const report = await s.reporter.report(workspaceId, run, s.waiter.isSettled(run.status));
      return toolResult(summarizeReport(report), report);
    },
    list_automations: async ({ limit, cursor }) => {
      const page = await s.automations.list(principal, { limit, cursor });
      const items = page.items.map(automationView);
      return toolResult(`${items.length} automation(s)${page.nextCursor ? ', more with cursor' : ''}`, {
        items,
        nextCursor: page.nextCursor,
      });
    },
    list_inbox: async ({ status, limit }) => {
      const items = (await s.inbox.list(workspaceId, { status, limit })).map(inboxItemView);
      return toolResult(`${items.length} ${status} inbox item(s)`, { items });
    },
    request_secret: async ({ name, purpose }) => {
      const { request, created } = await s.secretRequests.open(workspaceId, {
        name,
        purpose,
        requestedByKeyId: principal.keyId ?? null,
      });
      const alreadySet = (await s.secrets.list(workspaceId)).some((secret) => secret.name === name);
      const summary = created
        ? `asked a person to set secret ${name} in the dashboard (Secrets)`
        : `secret ${name} was already requested; a person sets it in the dashboard (Secrets)`;
      return toolResult(summary, {
        request: { id: request.id, name: request.name, purpose: request.purpose, status: request.status },
        created,
        alreadySet,
      });
    },
  };
}

const missingName = () =>
  new ValidationError(
    [
      {
        path: 'name',
        message: 'is required to create an automation (or pass automationId to add a version)',
      },
    ],
    ErrorCodes.VALIDATION_FAILED,
  );
