import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './output';

/** Where the API is and the key to use. */
export interface Credentials {
  apiUrl: string;
  apiKey: string;
}

export type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/mendflow`, else `~/.config/mendflow`. */
export function configDir(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return join(xdg, 'mendflow');
  return join(env.HOME || homedir(), '.config', 'mendflow');
}

export function configPath(env: Env): string {
  return join(configDir(env), 'config.json');
}

export async function readConfigFile(env: Env): Promise<Partial<Credentials>> {
  let text: string;
  try {
    text = await readFile(configPath(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    return {
      ...(typeof parsed.apiUrl === 'string' ? { apiUrl: parsed.apiUrl } : {}),
      ...(typeof parsed.apiKey === 'string' ? { apiKey: parsed.apiKey } : {}),
    };
  } catch {
    throw new CliError(
      `${configPath(env)} is not JSON: run mendflow login again`,
      EXIT.failed,
      'CONFIG_INVALID',
    );
  }
}

/** Writes the credentials readable by the user only (0600, in a 0700 folder), whatever the umask. */
export async function writeConfigFile(env: Env, credentials: Credentials): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = configPath(env);
  await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // A file that existed keeps its old mode through writeFile.
  await chmod(path, 0o600);
  return path;
}

/** The config file's credentials, each overridden by MENDFLOW_API_URL / MENDFLOW_API_KEY when set. */
export async function resolveCredentials(env: Env): Promise<Credentials> {
  const file = await readConfigFile(env);
  const apiUrl = env.MENDFLOW_API_URL || file.apiUrl;
  const apiKey = env.MENDFLOW_API_KEY || file.apiKey;
  if (!apiUrl || !apiKey) {
    throw new CliError(
      'not logged in: run `mendflow login` or set MENDFLOW_API_URL and MENDFLOW_API_KEY',
      EXIT.auth,
      'NOT_LOGGED_IN',
    );
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), apiKey };
}
