import { describe, expect, it } from 'vitest';
import { handshakeCredentials, sameOrigin } from './socket-auth';

describe('handshakeCredentials', () => {
  it('takes an API key from auth.token, then from the Authorization header', () => {
    expect(handshakeCredentials({ auth: { token: 'mf_abc' }, headers: {} })).toEqual({
      kind: 'api_key',
      token: 'mf_abc',
    });
    expect(handshakeCredentials({ auth: { token: 'Bearer mf_abc' }, headers: {} })).toEqual({
      kind: 'api_key',
      token: 'mf_abc',
    });
    expect(handshakeCredentials({ auth: {}, headers: { authorization: 'Bearer mf_xyz' } })).toEqual({
      kind: 'api_key',
      token: 'mf_xyz',
    });
  });

  it('prefers an explicit key to the session cookie, and falls back to the cookie', () => {
    const cookie = 'theme=dark; mf_session=s3cret';
    expect(handshakeCredentials({ auth: { token: 'mf_abc' }, headers: { cookie } })).toEqual({
      kind: 'api_key',
      token: 'mf_abc',
    });
    expect(handshakeCredentials({ auth: {}, headers: { cookie } })).toEqual({
      kind: 'session',
      token: 's3cret',
    });
  });

  it('finds nothing without a credential', () => {
    expect(handshakeCredentials({ auth: {}, headers: {} })).toBeNull();
    expect(
      handshakeCredentials({
        auth: { token: 42 },
        headers: { authorization: 'Basic abc', cookie: 'other=1' },
      }),
    ).toBeNull();
  });
});

describe('sameOrigin', () => {
  it('accepts clients that send no Origin and pages of the addressed host', () => {
    expect(sameOrigin({ host: 'api:4000' })).toBe(true);
    expect(sameOrigin({ origin: 'http://mendflow.example', host: 'mendflow.example' })).toBe(true);
  });

  it('accepts pages served through the web app proxy', () => {
    expect(
      sameOrigin({
        origin: 'https://mendflow.example',
        host: '127.0.0.1:4000',
        'x-forwarded-host': 'mendflow.example',
      }),
    ).toBe(true);
  });

  it('refuses another origin, even on the same host name', () => {
    expect(sameOrigin({ origin: 'https://evil.example', host: 'mendflow.example' })).toBe(false);
    expect(sameOrigin({ origin: 'http://localhost:8080', host: 'localhost:4000' })).toBe(false);
    expect(sameOrigin({ origin: 'null', host: 'localhost:4000' })).toBe(false);
  });
});
