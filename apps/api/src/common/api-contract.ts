import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { z } from 'zod';
import { openApiSchema } from './openapi';

/** A documented success answer: its status and the zod schema (from @mendflow/contracts/api) of its body. */
export interface ContractResponse {
  status: number;
  /** Omitted: the answer has no body (204). */
  schema?: z.ZodType;
  description?: string;
}

export interface ApiContractOptions<R extends ContractResponse | readonly ContractResponse[]> {
  summary: string;
  /** The request body's zod schema (the same one its ZodPipe validates with). */
  body?: z.ZodType;
  /** False when the body may be omitted altogether (e.g. cancel's optional reason). */
  bodyRequired?: boolean;
  /** The success answer, or each of them when a route has several (a webhook: 202, or 200 after ?wait=). */
  response: R;
  /**
   * Errors the route answers besides the ones derived from it (400 always; 401 and 403 unless public;
   * 404 with path parameters; 413 and 415 with a body; 429 behind a throttler): e.g. 409 or 422.
   */
  errors?: readonly number[];
}

export const API_CONTRACT = 'mendflow:api-contract';

export interface StoredContract {
  responses: readonly ContractResponse[];
  errors: readonly number[];
  hasBody: boolean;
}

type Awaitable<T> = T | Promise<T>;
/** What a handler documented with R must return: the input type of its success schema(s), or nothing. */
type ContractBody<R> = R extends { schema: infer S extends z.ZodType }
  ? z.input<S>
  : R extends readonly (infer E)[]
    ? ContractBody<E>
    : void;

/**
 * Documents one operation from the zod schemas in @mendflow/contracts/api: summary, request body,
 * success answers and error answers (the error envelope). apps/api/src/openapi.ts reads what this stores
 * and writes the responses, the derived errors and the operation's security; an operation without it
 * fails the document build. The handler's return type is checked against the success schema, so the
 * compiler catches drift between what a route serves and what it documents.
 *
 *   @ApiContract({ summary: 'One run', response: { status: 200, schema: runSchema }, errors: [409] })
 */
export function ApiContract<const R extends ContractResponse | readonly ContractResponse[]>(
  options: ApiContractOptions<R>,
) {
  const responses: readonly ContractResponse[] = Array.isArray(options.response)
    ? options.response
    : [options.response as ContractResponse];
  const stored: StoredContract = {
    responses,
    errors: options.errors ?? [],
    hasBody: options.body !== undefined,
  };
  const decorate = applyDecorators(
    SetMetadata(API_CONTRACT, stored),
    ApiOperation({ summary: options.summary }),
    ...(options.body
      ? [ApiBody({ schema: openApiSchema(options.body), required: options.bodyRequired ?? true })]
      : []),
  );
  return <M extends (...args: never[]) => Awaitable<ContractBody<R>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    decorate(target, key, descriptor);
  };
}
