import { describe, expect, it } from 'vitest';
import { SecretBox, secretContext } from './secret-box';

const key = 'a'.repeat(64);

describe('SecretBox', () => {
  it('opens what it sealed, and the sealed text does not contain the value', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('hunter2-token', secretContext('w1', 'CRM_TOKEN'));
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, secretContext('w1', 'CRM_TOKEN'))).toBe('hunter2-token');
  });

  it('refuses a ciphertext moved to another secret or workspace', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('v', secretContext('w1', 'A'));
    expect(() => box.open(sealed, secretContext('w2', 'A'))).toThrow();
    expect(() => box.open(sealed, secretContext('w1', 'B'))).toThrow();
  });

  it('refuses a malformed key', () => {
    expect(() => new SecretBox('short')).toThrow(/64 hex/);
  });
});
