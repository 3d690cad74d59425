import { mkdtempSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, readConfigFile, resolveCredentials, writeConfigFile } from './config';
import { CliError, EXIT } from './output';

const fresh = () => mkdtempSync(join(tmpdir(), 'mendflow-config-'));

describe('the config file', () => {
  it('lives under $XDG_CONFIG_HOME/mendflow, else ~/.config/mendflow', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/mendflow/config.json');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/mendflow/config.json');
  });

  it('is written readable by the user only, even over a file that was world-readable', async () => {
    const home = fresh();
    const env = { HOME: home };
    mkdirSync(join(home, '.config', 'mendflow'), { recursive: true });
    writeFileSync(configPath(env), '{}');
    chmodSync(configPath(env), 0o644);
    const previous = process.umask(0o000);
    try {
      await writeConfigFile(env, { apiUrl: 'http://api.test', apiKey: 'mf_key' });
    } finally {
      process.umask(previous);
    }
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600);
    expect(await readConfigFile(env)).toEqual({ apiUrl: 'http://api.test', apiKey: 'mf_key' });
  });

  it('is overridden field by field by MENDFLOW_API_URL and MENDFLOW_API_KEY', async () => {
    const env = { HOME: fresh() };
    await writeConfigFile(env, { apiUrl: 'http://saved.test/', apiKey: 'mf_saved' });
    expect(await resolveCredentials(env)).toEqual({ apiUrl: 'http://saved.test', apiKey: 'mf_saved' });
    expect(await resolveCredentials({ ...env, MENDFLOW_API_KEY: 'mf_env' })).toEqual({
      apiUrl: 'http://saved.test',
      apiKey: 'mf_env',
    });
    expect(
      await resolveCredentials({ HOME: fresh(), MENDFLOW_API_URL: 'http://env.test', MENDFLOW_API_KEY: 'k' }),
    ).toEqual({ apiUrl: 'http://env.test', apiKey: 'k' });
  });

  it('says "not logged in" (exit 3) when neither holds credentials', async () => {
    const error = await resolveCredentials({ HOME: fresh() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: EXIT.auth, code: 'NOT_LOGGED_IN' });
  });
});
