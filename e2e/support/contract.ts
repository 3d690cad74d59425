import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * Checks real answers against the served OpenAPI document: every answer the e2e client sees to a
 * documented operation must have a documented status, and its JSON body must validate against that
 * status's schema (success bodies against their component, errors against the error envelope).
 * Requests to no documented operation (unknown routes, methods a route lacks) are not the contract's.
 */
export interface ContractChecker {
  /** A description of the breach, or undefined when the answer is as documented. */
  check(method: string, url: string, status: number, body: unknown): string | undefined;
}

interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject | { $ref: string }>;
}
interface ResponseObject {
  content?: Record<string, { schema?: unknown }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { responses?: Record<string, ResponseObject> };
}

const DOCUMENT_ID = 'mendflow-openapi';
const pointer = (...segments: string[]) =>
  segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export function contractChecker(document: OpenApiDocument): ContractChecker {
  // The document is added as one schema, so every `#/components/schemas/…` reference resolves in it.
  // Formats are not asserted: zod writes a pattern beside each (uuid, date-time), which ajv checks.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(document, DOCUMENT_ID);
  const routes = Object.entries(document.paths).map(([template, methods]) => ({
    template,
    methods,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const validators = new Map<string, ValidateFunction | null>();

  const validatorFor = (template: string, method: string, status: string, response: ResponseObject) => {
    const key = `${method} ${template} ${status}`;
    if (!validators.has(key)) {
      const json = response.content?.['application/json'];
      validators.set(
        key,
        json?.schema === undefined
          ? null
          : ajv.compile({
              $ref: `${DOCUMENT_ID}#/${pointer('paths', template, method, 'responses', status, 'content', 'application/json', 'schema')}`,
            }),
      );
    }
    return validators.get(key) ?? null;
  };

  return {
    check(method, url, status, body) {
      const path = new URL(url, 'http://contract.invalid').pathname;
      const lower = method.toLowerCase();
      const route = routes.find((r) => r.pattern.test(path) && r.methods[lower]);
      const operation = route?.methods[lower];
      if (!route || !operation) return undefined;
      const declared = operation.responses?.[String(status)];
      const where = `${method.toUpperCase()} ${route.template} answered ${status}`;
      if (!declared) {
        return `${where}, which the document does not list for ${operation.operationId} (${Object.keys(operation.responses ?? {}).join(', ')}): ${JSON.stringify(body).slice(0, 300)}`;
      }
      if ('$ref' in declared) {
        // An error answer: the shared component, whose schema is the error envelope.
        const name = declared.$ref.split('/').pop() as string;
        const validate = errorValidator(ajv, name, document.components?.responses?.[name] ?? {});
        if (validate && !validate(body))
          return `${where}, not in the error envelope: ${ajv.errorsText(validate.errors)}`;
        return undefined;
      }
      const validate = validatorFor(route.template, lower, String(status), declared);
      if (!validate) {
        return body === null || body === undefined ? undefined : `${where} with a body, documented as none`;
      }
      if (!validate(body)) {
        return `${where}, the body does not match its schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`;
      }
      return undefined;
    },
  };
}

const errorValidators = new WeakMap<Ajv2020, Map<string, ValidateFunction | null>>();
function errorValidator(ajv: Ajv2020, name: string, response: ResponseObject): ValidateFunction | null {
  let byName = errorValidators.get(ajv);
  if (!byName) errorValidators.set(ajv, (byName = new Map()));
  if (!byName.has(name)) {
    byName.set(
      name,
      response.content?.['application/json']?.schema === undefined
        ? null
        : ajv.compile({
            $ref: `${DOCUMENT_ID}#/${pointer('components', 'responses', name, 'content', 'application/json', 'schema')}`,
          }),
    );
  }
  return byName.get(name) ?? null;
}

const checkers = new Map<string, Promise<ContractChecker>>();
/** The checker for the API at baseUrl, built once from the document it serves. */
export function servedContract(baseUrl: string): Promise<ContractChecker> {
  let checker = checkers.get(baseUrl);
  if (!checker) {
    checker = fetch(`${baseUrl}/api/openapi.json`).then(async (response) => {
      if (response.status !== 200) throw new Error(`GET /api/openapi.json answered ${response.status}`);
      return contractChecker((await response.json()) as OpenApiDocument);
    });
    // A stack being restarted may not answer yet: the next call tries again.
    checker.catch(() => checkers.delete(baseUrl));
    checkers.set(baseUrl, checker);
  }
  return checker;
}
