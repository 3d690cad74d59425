import { BadRequestException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { DomainError, ValidationError } from '@mendflow/common';
import { describe, expect, it } from 'vitest';
import { HttpErrorFilter } from './http-error.filter';

function respond(exception: unknown) {
  const sent: { status?: number; body?: any } = {};
  const response = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) };
  new HttpErrorFilter().catch(exception, host as never);
  return sent;
}

describe('HttpErrorFilter', () => {
  it('keeps a domain error code and maps its kind to a status', () => {
    expect(respond(new DomainError('AUTOMATION_NAME_TAKEN', 'conflict', 'taken'))).toEqual({
      status: 409,
      body: { error: { code: 'AUTOMATION_NAME_TAKEN', message: 'taken', details: undefined } },
    });
  });

  it('names the bad field of a validation error', () => {
    const sent = respond(
      new ValidationError([{ path: 'manifest.limits.timeoutMs', message: 'expected number' }]),
    );
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toBe('manifest.limits.timeoutMs: expected number');
  });

  it('gives framework errors stable codes', () => {
    expect(respond(new UnauthorizedException()).body.error.code).toBe('UNAUTHENTICATED');
    expect(respond(new NotFoundException()).body.error.code).toBe('NOT_FOUND');
    const parseError = { type: 'entity.parse.failed', status: 400, message: 'Unexpected end' };
    expect(respond(parseError).body.error.code).toBe('INVALID_JSON');
    expect(respond(new BadRequestException('Unexpected end', { cause: parseError })).body.error.code).toBe(
      'INVALID_JSON',
    );
  });

  it('answers an unexpected error with 500 and a reference, never the internals', () => {
    const sent = respond(new Error('connection string postgres://secret@db'));
    expect(sent.status).toBe(500);
    expect(sent.body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(sent.body)).not.toContain('secret');
  });
});
