import { MendflowApiError } from '@mendflow/sdk';
import { describe, expect, it } from 'vitest';
import { asCliError } from './api';
import { EXIT } from './output';

describe('API errors as exit codes', () => {
  it('maps a refused key or a missing permission to 3 and every other refusal to 1, keeping the code', () => {
    expect(asCliError(new MendflowApiError(401, 'UNAUTHENTICATED', 'no'))).toMatchObject({
      exitCode: EXIT.auth,
      code: 'UNAUTHENTICATED',
    });
    expect(asCliError(new MendflowApiError(403, 'FORBIDDEN', 'needs editor'))).toMatchObject({
      exitCode: EXIT.auth,
    });
    expect(asCliError(new MendflowApiError(403, 'APPROVAL_REQUIRES_PERSON', 'a person'))).toMatchObject({
      exitCode: EXIT.failed,
      code: 'APPROVAL_REQUIRES_PERSON',
    });
    const refused = asCliError(
      new MendflowApiError(409, 'BUNDLE_SIGNATURE_INVALID', 'tampered', { field: 'bundle' }),
    );
    expect(refused).toMatchObject({
      exitCode: EXIT.failed,
      code: 'BUNDLE_SIGNATURE_INVALID',
      details: { field: 'bundle' },
    });
    expect(refused.message).toBe('BUNDLE_SIGNATURE_INVALID: tampered');
  });

  it('says the API is unreachable when the connection fails', () => {
    const error = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    expect(asCliError(error)).toMatchObject({ exitCode: EXIT.failed, code: 'API_UNREACHABLE' });
  });
});
