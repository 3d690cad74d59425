import { Injectable } from '@nestjs/common';
import type { ScriptLanguage } from '@mendflow/common';
import { scriptToRun, type StripResult } from '@mendflow/lint';
import { LRUCache } from 'lru-cache';

/**
 * Characters of stripped TypeScript kept (the largest script, 256 KiB, is kept whole; a few hundred
 * typical versions fit). Least recently run versions go first.
 */
const CACHE_CHARS = 16 * 1024 * 1024;

/**
 * The JavaScript each version runs as (scriptToRun), with a TypeScript version stripped of its types
 * once per worker process and version, not at every attempt: a strip costs a 200-line script about
 * 1.4 ms of CPU, a 256 KiB one ~100 ms (docs/scripts.md), all on the worker's event loop. A version never
 * changes once stored, so its id is the key; a source that does not strip is remembered too (it fails
 * every attempt the same way). JavaScript needs no work and takes no room.
 */
@Injectable()
export class RunnableScripts {
  private readonly stripped = new LRUCache<string, StripResult>({
    maxSize: CACHE_CHARS,
    sizeCalculation: (result) => (result.ok ? Math.max(1, result.code.length) : 1),
  });

  of(version: { id: string; source: string; language: ScriptLanguage }): StripResult {
    if (version.language === 'javascript') return scriptToRun(version.source, version.language);
    const known = this.stripped.get(version.id);
    if (known) return known;
    const result = scriptToRun(version.source, version.language);
    this.stripped.set(version.id, result);
    return result;
  }
}
