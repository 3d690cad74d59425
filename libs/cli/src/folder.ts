import { access, readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CliError, EXIT } from './output';

/**
 * One automation on disk: a folder holding `script.js` (or `script.ts`) and `manifest.json`; the folder's
 * name is the automation's name. A folder of automations (push/pull) holds one such folder per automation.
 */
export interface ScriptFolder {
  dir: string;
  name: string;
  file: string;
  source: string;
  /** Only a `.ts` script is sent with a language (TypeScript); a `.js` one is JavaScript. */
  language?: 'typescript';
  manifest: unknown;
}

export const SCRIPT_FILES = ['script.js', 'script.ts'] as const;
export const MANIFEST_FILE = 'manifest.json';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The script file of a folder (exactly one of script.js / script.ts), or undefined. */
export async function scriptFileOf(dir: string): Promise<string | undefined> {
  const found = [];
  for (const file of SCRIPT_FILES) if (await exists(join(dir, file))) found.push(file);
  if (found.length > 1) {
    throw new CliError(`${dir} holds both script.js and script.ts: keep one`, EXIT.usage, 'AMBIGUOUS_SCRIPT');
  }
  return found[0] ? join(dir, found[0]) : undefined;
}

export async function readScriptFolder(dir: string, name?: string): Promise<ScriptFolder> {
  const abs = resolve(dir);
  const file = await scriptFileOf(abs);
  if (!file) throw new CliError(`${dir} holds no script.js or script.ts`, EXIT.usage, 'SCRIPT_NOT_FOUND');
  return { ...(await readScriptFile(file)), dir: abs, name: name ?? basename(abs) };
}

/** A script file and the manifest.json beside it (none: the defaults). */
export async function readScriptFile(file: string): Promise<Omit<ScriptFolder, 'name' | 'dir'>> {
  const source = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`cannot read ${file}`, EXIT.usage, 'SCRIPT_NOT_FOUND');
  });
  const manifestPath = join(resolve(file, '..'), MANIFEST_FILE);
  let manifest: unknown = {};
  if (await exists(manifestPath)) {
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new CliError(
        `${manifestPath} is not JSON: ${(error as Error).message}`,
        EXIT.lint,
        'MANIFEST_NOT_JSON',
      );
    }
  }
  return { file, source, manifest, ...(file.endsWith('.ts') ? { language: 'typescript' as const } : {}) };
}

/** The automation folders directly inside `root`, by name. */
export async function listScriptFolders(root: string): Promise<ScriptFolder[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => {
    throw new CliError(`cannot read the folder ${root}`, EXIT.usage, 'FOLDER_NOT_FOUND');
  });
  const folders: ScriptFolder[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (await scriptFileOf(join(root, entry.name)))
      folders.push(await readScriptFolder(join(root, entry.name)));
  }
  return folders;
}

/** A folder name that is safe to write: an automation whose name is not one is skipped by pull. */
export function isSafeFolderName(name: string): boolean {
  return name.length > 0 && name.length <= 200 && !name.startsWith('.') && !/[/\\\0]/.test(name);
}
