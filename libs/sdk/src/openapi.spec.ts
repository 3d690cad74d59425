import { readFileSync } from 'node:fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';

// The SDK's types are generated from the committed document; `npm run openapi:write` writes both, and the
// e2e suite checks that document against the served one. This closes the chain: types match the document.
describe('libs/sdk/src/openapi.ts', () => {
  it('is what openapi-typescript generates from apps/api/openapi.json', async () => {
    const document = readFileSync(new URL('../../../apps/api/openapi.json', import.meta.url), 'utf8');
    const generated = COMMENT_HEADER + astToString(await openapiTS(document));
    const committed = readFileSync(new URL('./openapi.ts', import.meta.url), 'utf8');
    expect(committed, 'libs/sdk/src/openapi.ts is stale: run `npm run openapi:write`').toBe(generated);
  }, 30_000);
});
