import { createTwoFilesPatch } from 'diff';

export interface TextDiff {
  /** Unified diff without the "=====" banner; empty when nothing changed. */
  text: string;
  added: number;
  removed: number;
}

/** A unified diff between two texts, with counts of added and removed lines. */
export function unifiedDiff(oldName: string, newName: string, oldText: string, newText: string): TextDiff {
  if (oldText === newText) return { text: '', added: 0, removed: 0 };
  const patch = createTwoFilesPatch(oldName, newName, oldText, newText, '', '', { context: 3 });
  const text = patch.replace(/^=+\n/, '');
  return { text, ...countChanges(text) };
}

/** Counts "+" and "-" lines of a unified diff (file headers excluded). */
export function countChanges(text: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) added += 1;
    else if (line.startsWith('-')) removed += 1;
  }
  return { added, removed };
}

/** Stable, readable JSON for diffing manifests. */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return '';
  return `${JSON.stringify(value, null, 2)}\n`;
}
