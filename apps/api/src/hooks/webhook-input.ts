import { TextDecoder } from 'node:util';
import { HttpException } from '@nestjs/common';
import { checkRequestData, DomainError, ErrorCodes, ValidationError } from '@mendflow/common';
import { httpError } from '../common/http-error.filter';

/** How a webhook's body reached the run: parsed JSON, a form as an object, text, or bytes as base64. */
export type WebhookBodyEncoding = 'json' | 'form' | 'text' | 'base64' | 'none';

/** A webhook run's input (docs/webhooks.md, "The run's input"). */
export interface WebhookInput {
  body: unknown;
  encoding: WebhookBodyEncoding;
  /** The media type without parameters, lower-case (`application/json`); null without a content-type. */
  contentType: string | null;
  /** The query string's parameters, `wait` aside (a repeated name gives an array). */
  query: Record<string, unknown>;
  /** The request headers the trigger lists, by lower-case name; absent ones are left out. */
  headers: Record<string, string>;
}

/** Query parameters that steer the hook itself and are not part of the input. */
const CONTROL_PARAMETERS = new Set(['wait']);

/** `application/json; charset=utf-8` → { type: 'application/json', charset: 'utf-8' }. */
export function parseContentType(header: string | undefined): { type: string; charset?: string } | null {
  if (!header) return null;
  const [type = '', ...parameters] = header.split(';');
  const charset = parameters
    .map((p) => p.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"(.*)"$/, '$1');
  return { type: type.trim().toLowerCase(), ...(charset && { charset }) };
}

/**
 * The body as a run sees it, by content type: JSON (`application/json`, `…+json`) parsed, a form
 * (`application/x-www-form-urlencoded`) as an object, `text/*` as a string, anything else (or no type)
 * as base64 text. Throws 400 INVALID_JSON for a JSON type whose body does not parse, 415 for a charset
 * this runtime cannot decode.
 */
export function parseWebhookBody(
  rawBody: Buffer,
  contentTypeHeader: string | undefined,
): { body: unknown; encoding: WebhookBodyEncoding; contentType: string | null } {
  const contentType = parseContentType(contentTypeHeader);
  const type = contentType?.type ?? null;
  if (rawBody.length === 0) return { body: null, encoding: 'none', contentType: type };
  if (type === 'application/json' || type?.endsWith('+json')) {
    try {
      return { body: JSON.parse(decode(rawBody, contentType?.charset)), encoding: 'json', contentType: type };
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new DomainError(ErrorCodes.INVALID_JSON, 'invalid', 'the request body is not valid JSON');
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { body: formObject(decode(rawBody, contentType?.charset)), encoding: 'form', contentType: type };
  }
  if (type?.startsWith('text/')) {
    return { body: decode(rawBody, contentType?.charset), encoding: 'text', contentType: type };
  }
  return { body: rawBody.toString('base64'), encoding: 'base64', contentType: type };
}

/**
 * The run's input: the parsed body, the query (without control parameters) and the headers the trigger
 * selects. Refused like any request data PostgreSQL could not store (a NUL in a text body, nesting past
 * the JSON depth limit), naming the field.
 */
export function buildWebhookInput(request: {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  selectedHeaders: readonly string[];
}): WebhookInput {
  const parsed = parseWebhookBody(request.rawBody, headerText(request.headers['content-type']));
  const query = Object.fromEntries(
    Object.entries(request.query).filter(([name]) => !CONTROL_PARAMETERS.has(name)),
  );
  const headers: Record<string, string> = {};
  for (const name of request.selectedHeaders) {
    const value = headerText(request.headers[name]);
    if (value !== undefined) headers[name] = value;
  }
  const input: WebhookInput = {
    body: parsed.body,
    encoding: parsed.encoding,
    contentType: parsed.contentType,
    query,
    headers,
  };
  checkRequestData(input);
  return input;
}

/** `?wait=<seconds>`: absent, or a whole number from 1 to `max`; anything else is a 400 naming `wait`. */
export function parseWait(value: unknown, max: number): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new ValidationError([
      { path: 'wait', message: `must be a whole number of seconds from 1 to ${max}` },
    ]);
  }
  return Number(value);
}

function decode(bytes: Buffer, charset: string | undefined): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    throw httpError(
      415,
      ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
      `charset ${charset?.slice(0, 40)} is not supported; send UTF-8`,
    );
  }
  return decoder.decode(bytes);
}

/** A repeated field becomes an array of its values, in order; fromEntries makes `__proto__` a plain key. */
function formObject(text: string): Record<string, string | string[]> {
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = fields.get(name);
    fields.set(name, seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]);
  }
  return Object.fromEntries(fields);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
