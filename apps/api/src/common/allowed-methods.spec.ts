import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowed-methods';

const stack = [
  { name: 'jsonParser' },
  { route: { path: '/api/v1/automations', methods: { get: true } } },
  { route: { path: '/api/v1/automations', methods: { post: true } } },
  { route: { path: '/api/v1/automations/:id', methods: { get: true, patch: true, delete: true } } },
  { route: { path: '/api/v1/automations/:id/runs', methods: { post: true } } },
  { route: { path: '*path', methods: { _all: true } } },
];

describe('allowedMethods', () => {
  it('lists the methods of the routes at a path, HEAD with GET, sorted', () => {
    expect(allowedMethods(stack, '/api/v1/automations')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowedMethods(stack, '/api/v1/automations/anything')).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
    expect(allowedMethods(stack, '/api/v1/automations/x/runs')).toEqual(['POST']);
  });

  it('matches as Express does: any case, with or without a trailing slash', () => {
    expect(allowedMethods(stack, '/API/v1/Automations/')).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('names nothing for a path no route has, and ignores wildcard routes', () => {
    expect(allowedMethods(stack, '/api/v1/nope')).toEqual([]);
    expect(allowedMethods(stack, '/api/v1/automations/x/y')).toEqual([]);
    expect(allowedMethods(stack, '/')).toEqual([]);
    expect(allowedMethods([], '/api/v1/automations')).toEqual([]);
  });
});
