import { describe, expect, it } from 'vitest';
import { Redactor } from './redaction';

describe('Redactor', () => {
  it('replaces a secret and its common encodings', () => {
    const r = new Redactor();
    r.add('s3cr3t/+"key"');
    expect(r.text('token=s3cr3t/+"key" end')).toBe('token=*** end');
    expect(r.text(JSON.stringify({ t: 's3cr3t/+"key"' }))).toBe('{"t":"***"}');
    expect(r.text(`q=${encodeURIComponent('s3cr3t/+"key"')}`)).toBe('q=***');
    expect(r.text(`Basic ${Buffer.from('s3cr3t/+"key"').toString('base64')}`)).toBe('Basic ***');
  });

  it('prefers the longest value when one secret contains another', () => {
    const r = new Redactor();
    r.add('abcd');
    r.add('abcdefgh');
    expect(r.text('xabcdefghx abcd')).toBe('x***x ***');
  });

  it('redacts strings in values and keys of plain data, keeping __proto__ as plain data', () => {
    const r = new Redactor();
    r.add('topsecret');
    const data = JSON.parse(
      '{"a":["topsecret",1,null],"topsecret":{"b":"x topsecret"},"__proto__":{"polluted":"topsecret"}}',
    );
    const out = r.deep(data) as Record<string, unknown>;
    expect(JSON.stringify(out)).toBe(
      '{"a":["***",1,null],"***":{"b":"x ***"},"__proto__":{"polluted":"***"}}',
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves text alone when nothing was served', () => {
    const r = new Redactor();
    expect(r.active).toBe(false);
    expect(r.text('anything')).toBe('anything');
  });
});
