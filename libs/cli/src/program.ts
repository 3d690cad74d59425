import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { operations, WatchedRun } from '@mendflow/sdk';
import { Command, CommanderError, Option } from 'commander';
import { type Api, apiFor, asCliError, call, connect, getAutomation, listAutomations } from './api';
import { configPath, type Credentials, readConfigFile, writeConfigFile } from './config';
import type { CliContext, CommandContext } from './context';
import { deployFolder, type DeployOutcome } from './deploy';
import {
  isSafeFolderName,
  listScriptFolders,
  MANIFEST_FILE,
  readScriptFile,
  readScriptFolder,
} from './folder';
import { type FileLint, formatDiagnostic, lintFolder } from './linting';
import { relayMcp } from './mcp';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode, Output, table } from './output';
import { readSecret } from './prompt';
import { scaffold } from './scaffold';
import { streamRun } from './watching';

// Filters and actions the CLI passes on as typed: the API checks each against its list and names the field
// in a 400 (VALIDATION_FAILED) when it is not one, so the CLI keeps no copy of those lists.
type RunStatusFilter = NonNullable<operations['RunsController_list']['parameters']['query']>['status'];
type InboxStatusFilter = NonNullable<operations['InboxController_list']['parameters']['query']>['status'];
type InboxAction =
  operations['InboxController_resolve']['requestBody']['content']['application/json']['action'];

/** Runs the CLI; resolves with the exit code (the caller sets process.exitCode). */
export async function runCli(argv: string[], ctx: CliContext): Promise<ExitCode> {
  const json = argv.includes('--json');
  const out = new Output(json, ctx);
  let exit: ExitCode = EXIT.ok;
  const program = buildProgram({ ...ctx, out }, (code) => (exit = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version are successes; anything else commander refuses is a usage error.
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    const failure = asCliError(error);
    out.error(failure);
    return failure.exitCode;
  }
}

export function buildProgram(ctx: CommandContext, setExit: (code: ExitCode) => void): Command {
  const program = new Command('mendflow')
    .description(
      'Command-line client for a Mendflow server: scripts, runs, inbox, secrets, bundles, sync, MCP.',
    )
    .option('--json', 'print JSON (one document; one per line while streaming) instead of text')
    .addHelpText(
      'after',
      `\nLogin: \`mendflow login --url <api url>\` (the key from stdin or a hidden prompt); MENDFLOW_API_URL and\nMENDFLOW_API_KEY override the saved config (${configPath(ctx.env)}).\n\n${EXIT_CODES_HELP}\n`,
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    })
    .showHelpAfterError('(run mendflow --help for the commands)');

  const action =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<ExitCode | void>) =>
    async (...args: A) => {
      setExit((await fn(ctx, ...args)) ?? EXIT.ok);
    };

  program
    .command('login')
    .description(
      'save the API URL and an API key (read from stdin or a hidden prompt), checked with GET /api/v1/me',
    )
    .requiredOption('--url <url>', 'where the API listens, e.g. http://localhost:3001')
    .action(action(login));

  program
    .command('whoami')
    .description('the user, role and workspace the saved credentials act as')
    .action(action(whoami));

  program
    .command('init')
    .description('scaffold a script, its manifest and the ctx types for the editor in <dir>')
    .argument('[dir]', 'the folder (its name becomes the automation name)', '.')
    .option('--typescript', 'write script.ts instead of script.js')
    .action(action(init));

  program
    .command('lint')
    .description('lint scripts locally (file:line:col severity message rule); exit 4 on errors')
    .argument('[paths...]', 'script files or automation folders', ['.'])
    .action(action(lint));

  program
    .command('deploy')
    .description('create the automation of a folder, or deploy a new version when it changed')
    .argument('[dir]', 'the automation folder', '.')
    .option('--name <name>', 'the automation name (default: the folder name)')
    .action(action(deploy));

  program
    .command('run')
    .description('start a run of an automation (name or id); --watch streams its timeline until it rests')
    .argument('<automation>', 'automation name or id')
    .option('--input <json>', 'the input as JSON, or @file to read it from a file')
    .option('--idempotency-key <key>', 'the same key and input within 24 h return the same run')
    .option('--watch', 'stream the timeline until the run finishes or waits for a person')
    .action(action(run));

  program
    .command('runs')
    .description('recent runs, newest first')
    .option('--automation <automation>', 'only this automation (name or id)')
    .option('--status <status>', 'only runs in this status')
    .addOption(new Option('--limit <n>', 'how many').default('20').argParser(positiveInt))
    .action(action(runs));

  program
    .command('logs')
    .description("a run's log lines, every attempt")
    .argument('<run>', 'run id')
    .action(action(logs));

  program
    .command('watch')
    .description("stream a run's timeline from the start until it rests")
    .argument('<run>', 'run id')
    .action(action(watch));

  program
    .command('inbox')
    .description('open action-needed items, newest first')
    .option('--run <run>', 'only items of this run')
    .addOption(new Option('--status <status>', 'open, resolved or expired').default('open'))
    .action(action(inbox));

  program
    .command('resolve')
    .description(
      'resolve an inbox item with one of its actions (retry, approve, reject or cancel: as the item offers)',
    )
    .argument('<item>', 'inbox item id')
    .argument('<action>', "one of the item's actions")
    .option('--comment <text>', 'a comment kept with the resolution')
    .action(action(resolveItem));

  const secrets = program.command('secrets').description("the workspace's secrets (values are never shown)");
  secrets
    .command('set')
    .description('create or replace a secret; the value comes from stdin when piped, else a hidden prompt')
    .argument('<name>', 'secret name')
    .argument('[value...]', 'refused: a value on the command line lands in shell history and ps')
    .action(action(secretsSet));
  secrets.command('list').description('secret names').action(action(secretsList));

  program
    .command('export')
    .description('export an automation as a signed bundle (JSON)')
    .argument('<automation>', 'automation name or id')
    .option('-o, --output <file>', 'write the bundle here instead of stdout')
    .action(action(exportBundle));

  program
    .command('import')
    .description(
      "import a signed bundle; its signature must verify against the workspace's trusted publishers",
    )
    .argument('<file>', 'the bundle file')
    .option('--name <name>', 'the new automation name (default: the bundle’s)')
    .action(action(importBundle));

  program
    .command('push')
    .description(
      'deploy every automation folder in <dir> that changed (<dir>/<name>/script.js|ts + manifest.json)',
    )
    .argument('[dir]', 'the folder of automations', '.')
    .action(action(push));

  program
    .command('pull')
    .description("write every automation's deployed version into <dir>/<name>/")
    .argument('[dir]', 'the folder of automations', '.')
    .action(action(pull));

  program
    .command('mcp')
    .description("relay MCP over stdio to the API's /mcp endpoint, for local agents")
    .action(action(mcp));

  for (const command of program.commands) inheritOutput(command, ctx);
  return program;
}

function inheritOutput(command: Command, ctx: CommandContext): void {
  command
    .option('--json', 'print JSON')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  for (const sub of command.commands) inheritOutput(sub, ctx);
}

function positiveInt(value: string): string {
  if (!/^[1-9]\d*$/.test(value))
    throw new CliError(`--limit must be a positive integer, not "${value}"`, EXIT.usage, 'USAGE');
  return value;
}

// ---- commands ---------------------------------------------------------------------------------------

async function login(ctx: CommandContext, options: { url: string }): Promise<void> {
  let apiUrl: string;
  try {
    apiUrl = new URL(options.url).origin;
  } catch {
    throw new CliError(
      `--url must be a URL such as http://localhost:3001, not "${options.url}"`,
      EXIT.usage,
      'USAGE',
    );
  }
  const apiKey = ctx.env.MENDFLOW_API_KEY || (await readSecret(ctx.stdin, 'API key: ', ctx.stderr));
  const me = await call(apiFor({ apiUrl, apiKey }).client.GET('/api/v1/me'));
  const path = await writeConfigFile(ctx.env, { apiUrl, apiKey });
  ctx.out.result(
    { apiUrl, configPath: path, user: me.user, workspace: me.workspace },
    () =>
      `Logged in to ${apiUrl} as ${me.user.email}${me.user.role ? ` (${me.user.role})` : ''} in ${me.workspace.name}\nSaved to ${path}`,
  );
}

async function whoami(ctx: CommandContext): Promise<void> {
  const api = await connect(ctx.env);
  const me = await call(api.client.GET('/api/v1/me'));
  const file = await readConfigFile(ctx.env);
  ctx.out.result(
    {
      apiUrl: api.credentials.apiUrl,
      fromEnv: !file.apiKey || file.apiKey !== api.credentials.apiKey,
      ...me,
    },
    () =>
      `${me.user.email}${me.user.role ? ` (${me.user.role})` : ''} in ${me.workspace.name} at ${api.credentials.apiUrl}`,
  );
}

async function init(ctx: CommandContext, dir: string, options: { typescript?: boolean }): Promise<void> {
  const made = await scaffold(resolve(ctx.cwd, dir), options.typescript === true);
  ctx.out.result(
    made,
    () =>
      `Created ${made.files.join(', ')} in ${made.dir}\nNext: mendflow lint ${dir} && mendflow deploy ${dir}`,
  );
}

async function lintTargets(ctx: CommandContext, paths: string[]): Promise<FileLint[]> {
  const results: FileLint[] = [];
  for (const path of paths) {
    const abs = resolve(ctx.cwd, path);
    const script = /\.(js|ts)$/.test(abs) ? await readScriptFile(abs) : await readScriptFolder(abs);
    results.push(await lintFolder(script, () => connect(ctx.env)));
  }
  return results;
}

async function lint(ctx: CommandContext, paths: string[]): Promise<ExitCode> {
  const results = await lintTargets(ctx, paths);
  const ok = results.every((result) => result.ok);
  ctx.out.result({ ok, files: results }, () => {
    const lines = results.flatMap((result) =>
      result.diagnostics.map((d) => formatDiagnostic(result.file, d, ctx.cwd)),
    );
    const errors = results.flatMap((r) => r.diagnostics).filter((d) => d.severity === 'error').length;
    const warnings = results.flatMap((r) => r.diagnostics).length - errors;
    return [...lines, `${errors} error(s), ${warnings} warning(s) in ${results.length} file(s)`].join('\n');
  });
  return ok ? EXIT.ok : EXIT.lint;
}

function describeDeploy(outcome: DeployOutcome): string {
  if (outcome.action === 'created')
    return `created ${outcome.name} (version ${outcome.version}, id ${outcome.id})`;
  if (outcome.action === 'updated') return `updated ${outcome.name} to version ${outcome.version}`;
  return `unchanged ${outcome.name} (version ${outcome.version})`;
}

async function deploy(ctx: CommandContext, dir: string, options: { name?: string }): Promise<void> {
  const api = await connect(ctx.env);
  const outcome = await deployFolder(api, await readScriptFolder(resolve(ctx.cwd, dir), options.name));
  ctx.out.result(outcome, () => describeDeploy(outcome));
}

async function parseInput(ctx: CommandContext, raw: string | undefined): Promise<unknown> {
  if (raw === undefined) return undefined;
  const text = raw.startsWith('@') ? await readFile(resolve(ctx.cwd, raw.slice(1)), 'utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--input must be JSON (or @file): ${(error as Error).message}`, EXIT.usage, 'USAGE');
  }
}

async function run(
  ctx: CommandContext,
  ref: string,
  options: { input?: string; watch?: boolean; idempotencyKey?: string },
): Promise<ExitCode> {
  const input = await parseInput(ctx, options.input);
  const api = await connect(ctx.env);
  const automation = await getAutomation(api, ref);
  const started = await call(
    api.client.POST('/api/v1/automations/{id}/runs', {
      params: { path: { id: automation.id } },
      body: {
        ...(input === undefined ? {} : { input }),
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      },
    }),
  );
  if (!options.watch) {
    ctx.out.result(started, () => `run ${started.id} ${started.status}`);
    return EXIT.ok;
  }
  ctx.out.note(
    `run ${started.id} of ${automation.name} started; watching (Ctrl-C stops watching, not the run)`,
  );
  return finishWatch(ctx, api, started.id);
}

async function finishWatch(ctx: CommandContext, api: Api, runId: string): Promise<ExitCode> {
  const { run: watched, exit } = await streamRun(api, ctx.out, runId);
  ctx.out.item({ run: watched }, describeRest(watched));
  return exit;
}

function describeRest(run: Pick<WatchedRun, 'status' | 'output' | 'error'>): string {
  if (run.status === 'succeeded') return `succeeded: ${JSON.stringify(run.output ?? null)}`;
  if (run.status === 'waiting') return 'waiting for an approval: see mendflow inbox';
  if (run.status === 'action_needed')
    return `action needed: ${run.error?.message ?? ''} (see mendflow inbox)`.trim();
  return `${run.status}${run.error?.message ? `: ${run.error.message}` : ''}`;
}

async function watch(ctx: CommandContext, runId: string): Promise<ExitCode> {
  return finishWatch(ctx, await connect(ctx.env), runId);
}

async function runs(
  ctx: CommandContext,
  options: { automation?: string; status?: string; limit: string },
): Promise<void> {
  const api = await connect(ctx.env);
  const automationId = options.automation ? (await getAutomation(api, options.automation)).id : undefined;
  const page = await call(
    api.client.GET('/api/v1/runs', {
      params: {
        query: {
          limit: Number(options.limit),
          ...(automationId ? { automationId } : {}),
          ...(options.status ? { status: options.status as RunStatusFilter } : {}),
        },
      },
    }),
  );
  ctx.out.result(page, () =>
    page.items.length === 0
      ? 'no runs'
      : table([
          ['ID', 'AUTOMATION', 'STATUS', 'TRIGGER', 'ATTEMPTS', 'CREATED'],
          ...page.items.map((r) => [
            r.id,
            r.automationName,
            r.status,
            r.trigger,
            String(r.attemptCount),
            r.createdAt,
          ]),
        ]),
  );
}

async function logs(ctx: CommandContext, runId: string): Promise<void> {
  const api = await connect(ctx.env);
  const page = await call(api.client.GET('/api/v1/runs/{id}/logs', { params: { path: { id: runId } } }));
  ctx.out.result(page, () => {
    const lines = page.items.flatMap(({ attempt, logs: entries }) =>
      (Array.isArray(entries) ? entries : []).map(
        (entry) =>
          `attempt ${attempt} ${String(entry.t).padStart(6)}ms ${entry.level.padEnd(5)} ${entry.message}${entry.data === undefined ? '' : ` ${JSON.stringify(entry.data)}`}`,
      ),
    );
    return lines.length ? lines.join('\n') : 'no log lines';
  });
}

async function inbox(ctx: CommandContext, options: { run?: string; status: string }): Promise<void> {
  const api = await connect(ctx.env);
  const status = options.status as InboxStatusFilter;
  const page = await call(
    api.client.GET('/api/v1/inbox', {
      params: { query: { status, ...(options.run ? { runId: options.run } : {}) } },
    }),
  );
  ctx.out.result(page, () =>
    page.items.length === 0
      ? `no ${options.status} items`
      : table([
          ['ID', 'KIND', 'AUTOMATION', 'RUN', 'ACTIONS', 'TITLE'],
          ...page.items.map((i) => [i.id, i.kind, i.automation.name, i.run.id, i.actions.join(','), i.title]),
        ]),
  );
}

async function resolveItem(
  ctx: CommandContext,
  id: string,
  actionName: string,
  options: { comment?: string },
): Promise<void> {
  const api = await connect(ctx.env);
  const resolved = await call(
    api.client.POST('/api/v1/inbox/{id}/resolve', {
      params: { path: { id } },
      body: { action: actionName as InboxAction, ...(options.comment ? { comment: options.comment } : {}) },
    }),
  );
  ctx.out.result(resolved, () => `resolved ${id}: ${actionName}`);
}

async function secretsSet(ctx: CommandContext, name: string, value: string[]): Promise<void> {
  if (value.length > 0) {
    throw new CliError(
      'a secret value is never taken from the command line (shell history, ps): pipe it to stdin or type it at the prompt',
      EXIT.usage,
      'SECRET_ON_COMMAND_LINE',
    );
  }
  const api = await connect(ctx.env);
  const secret = await readSecret(ctx.stdin, `Value for ${name}: `, ctx.stderr);
  const saved = await call(
    api.client.PUT('/api/v1/secrets/{name}', { params: { path: { name } }, body: { value: secret } }),
  );
  ctx.out.result(
    { name: saved.name, created: saved.created },
    () => `${saved.created ? 'created' : 'replaced'} secret ${saved.name}`,
  );
}

async function secretsList(ctx: CommandContext): Promise<void> {
  const api = await connect(ctx.env);
  const page = await call(api.client.GET('/api/v1/secrets'));
  ctx.out.result(page, () => (page.items.length ? page.items.map((s) => s.name).join('\n') : 'no secrets'));
}

async function exportBundle(ctx: CommandContext, ref: string, options: { output?: string }): Promise<void> {
  const api = await connect(ctx.env);
  const automation = await getAutomation(api, ref);
  const bundle = await call(
    api.client.GET('/api/v1/automations/{id}/bundle', { params: { path: { id: automation.id } } }),
  );
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (!options.output) {
    ctx.stdout.write(text);
    return;
  }
  const path = resolve(ctx.cwd, options.output);
  await writeFile(path, text);
  ctx.out.result(
    { automation: { id: automation.id, name: automation.name }, file: path },
    () => `exported ${automation.name} to ${path}`,
  );
}

async function importBundle(ctx: CommandContext, file: string, options: { name?: string }): Promise<void> {
  let bundle: unknown;
  try {
    bundle = JSON.parse(await readFile(resolve(ctx.cwd, file), 'utf8'));
  } catch (error) {
    throw new CliError(
      `${file} is not a bundle (JSON): ${(error as Error).message}`,
      EXIT.usage,
      'BUNDLE_INVALID',
    );
  }
  const api = await connect(ctx.env);
  const imported = await call(
    api.client.POST('/api/v1/automations/import', {
      body: { bundle, ...(options.name ? { name: options.name } : {}) },
    }),
  );
  ctx.out.result(
    imported,
    () => `imported ${imported.name} (id ${imported.id}, version ${imported.deployedVersion?.number ?? '?'})`,
  );
}

async function push(ctx: CommandContext, dir: string): Promise<ExitCode> {
  const api = await connect(ctx.env);
  const folders = await listScriptFolders(resolve(ctx.cwd, dir));
  const outcomes: DeployOutcome[] = [];
  const failures: { name: string; code: string; message: string }[] = [];
  for (const folder of folders) {
    try {
      const outcome = await deployFolder(api, folder);
      outcomes.push(outcome);
      ctx.out.note(describeDeploy(outcome));
    } catch (error) {
      const failure = asCliError(error);
      failures.push({ name: folder.name, code: failure.code, message: failure.message });
      ctx.out.note(`failed ${folder.name}: ${failure.message}`);
    }
  }
  const changed = outcomes.filter((o) => o.action !== 'unchanged').length;
  ctx.out.result(
    { outcomes, failures },
    () => `${changed} changed, ${outcomes.length - changed} unchanged, ${failures.length} failed`,
  );
  if (failures.some((f) => f.code === 'LINT_FAILED')) return EXIT.lint;
  return failures.length ? EXIT.failed : EXIT.ok;
}

async function pull(ctx: CommandContext, dir: string): Promise<void> {
  const api = await connect(ctx.env);
  const root = resolve(ctx.cwd, dir);
  const written: { name: string; dir: string; version: number }[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const summary of await listAutomations(api)) {
    if (!isSafeFolderName(summary.name)) {
      skipped.push({ name: summary.name, reason: 'the name is not a safe folder name' });
      continue;
    }
    const automation = await getAutomation(api, summary.id);
    const deployed = automation.deployedVersion;
    if (!deployed) {
      skipped.push({ name: summary.name, reason: 'no deployed version' });
      continue;
    }
    const target = join(root, automation.name);
    await mkdir(target, { recursive: true });
    const file = deployed.language === 'typescript' ? 'script.ts' : 'script.js';
    const other = file === 'script.ts' ? 'script.js' : 'script.ts';
    await rm(join(target, other), { force: true });
    await writeFile(join(target, file), deployed.source);
    await writeFile(join(target, MANIFEST_FILE), `${JSON.stringify(deployed.manifest, null, 2)}\n`);
    written.push({ name: automation.name, dir: target, version: deployed.number });
    ctx.out.note(`pulled ${automation.name} (version ${deployed.number})`);
  }
  ctx.out.result({ written, skipped }, () =>
    [
      `${written.length} automation(s) written to ${root}`,
      ...skipped.map((s) => `skipped ${s.name}: ${s.reason}`),
    ].join('\n'),
  );
}

async function mcp(ctx: CommandContext): Promise<void> {
  const credentials: Credentials = (await connect(ctx.env)).credentials;
  const relay = await relayMcp(credentials, undefined, (line) => ctx.stderr.write(`${line}\n`));
  // The agent closing our stdin ends the session (StdioServerTransport does not watch for it).
  ctx.stdin.on('end', () => void relay.close());
  await relay.closed;
}
