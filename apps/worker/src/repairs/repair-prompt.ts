import type { RepairRequest } from './repair-provider';

const SYSTEM = `You repair JavaScript and TypeScript automation scripts for Mendflow.
A script is an ES module: export default async function run(input, ctx) { ... }.
It may use only ctx (ctx.fetch, ctx.secrets.get, ctx.kv, ctx.step, ctx.log, ctx.run, ctx.errors) and standard JavaScript.
Answer in the script's language (the "language" field). TypeScript is type-stripped, not compiled:
keep type annotations if you like, but never use enum, namespace or constructor parameter properties.
Make the smallest change that fixes the failure. Keep every ctx.step name and every host call in the same order,
do not add hosts or secrets, and keep the output of the successful runs shown unchanged.
Answer with a JSON object only: {"source": "<the whole fixed script>", "explanation": "<one or two sentences>"}.`;

/** The chat messages for an OpenAI-compatible endpoint. */
export function buildRepairMessages(request: RepairRequest): { role: 'system' | 'user'; content: string }[] {
  const user = {
    automation: request.automation.name,
    version: request.version,
    language: request.language,
    error: request.error,
    classification: request.classification,
    input: request.input,
    hostCalls: request.hostCalls,
    recentSuccesses: request.recentSuccesses,
    source: request.source,
  };
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `The script below failed. Details as JSON:\n${JSON.stringify(user, null, 2)}` },
  ];
}

/**
 * Reads `{ source, explanation }` from a model's answer: a JSON object, possibly inside a code fence;
 * failing that, the first JavaScript or TypeScript code block as the source.
 */
export function parseRepairAnswer(answer: string): { source: string; explanation: string } | null {
  const candidates = [
    answer,
    ...[...answer.matchAll(/```(?:json)?\s*([\s\S]*?)```/g)].map((m) => m[1] ?? ''),
  ];
  for (const text of candidates) {
    try {
      const parsed = JSON.parse(text.trim()) as { source?: unknown; explanation?: unknown };
      if (typeof parsed.source === 'string' && parsed.source.trim()) {
        return {
          source: parsed.source,
          explanation: typeof parsed.explanation === 'string' ? parsed.explanation : '',
        };
      }
    } catch {
      /* not JSON; try the next form */
    }
  }
  const code = /```(?:js|javascript|mjs|ts|typescript)\s*([\s\S]*?)```/.exec(answer)?.[1];
  return code?.includes('export default')
    ? { source: code, explanation: answer.replace(/```[\s\S]*?```/g, '').trim() }
    : null;
}
