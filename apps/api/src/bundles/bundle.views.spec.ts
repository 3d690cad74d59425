import { describe, expect, it } from 'vitest';
import { bundleDisposition } from './bundle.views';

describe('bundleDisposition', () => {
  it('names the download <name>.mendflow.json', () => {
    expect(bundleDisposition('Nightly report')).toBe(
      `attachment; filename="Nightly report.mendflow.json"; filename*=UTF-8''Nightly%20report.mendflow.json`,
    );
  });

  it('keeps quotes and non-ASCII out of the plain filename, and the exact name in filename*', () => {
    const header = bundleDisposition('Rapport "été"');
    expect(header).toContain('filename="Rapport __t__.mendflow.json"');
    expect(header).toContain(`filename*=UTF-8''Rapport%20%22%C3%A9t%C3%A9%22.mendflow.json`);
  });
});
