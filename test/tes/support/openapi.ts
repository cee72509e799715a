import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validation against the GA4GH TES 1.1.0 OpenAPI document itself (a copy in test/fixtures, never
 * ../shared at run time). The document's external reference to service-info resolves to a local copy.
 */
const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url);
const SERVICE_INFO_URL = 'https://raw.githubusercontent.com/ga4gh-discovery/ga4gh-service-info/v1.0.0/service-info.yaml';
const TES_ID = 'https://phantom.invalid/ga4gh-tes-1.1.0.openapi.yaml';

type Doc = { paths: Record<string, Record<string, { parameters?: { $ref?: string; name?: string; in?: string; schema?: unknown }[] }>>; components: { schemas: Record<string, unknown>; parameters: Record<string, { name: string; in: string; schema: unknown }> } };

export const tesDoc = parse(readFileSync(fixture('ga4gh-tes-1.1.0.openapi.yaml'), 'utf8')) as Doc;
const serviceInfoDoc = parse(readFileSync(fixture('ga4gh-service-info-1.0.0.schema.yaml'), 'utf8')) as object;

// OpenAPI 3.0 schemas are a JSON Schema dialect with extra keywords (example, readOnly): not strict.
const ajv = new Ajv({ strict: false, allErrors: true });
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'string', validate: (s: string) => /^-?\d+$/.test(s) });
ajv.addFormat('double', { type: 'number', validate: () => true });
// OpenAPI writes format: boolean on booleans; the type already says it all.
ajv.addFormat('boolean', true);
ajv.addSchema({ ...tesDoc, $id: TES_ID });
// The document contradicts itself for the MINIMAL view: tesTask requires `executors`, yet the view
// parameter says a MINIMAL task holds ONLY id and state. MINIMAL answers are checked against a
// copy whose only change is that tesTask drops that `required`; every other check is unchanged.
const TES_MINIMAL_ID = 'https://phantom.invalid/ga4gh-tes-1.1.0.minimal-view.yaml';
const minimalDoc = structuredClone(tesDoc) as Doc & { components: { schemas: { tesTask: { required?: string[] } } } };
delete minimalDoc.components.schemas.tesTask.required;
ajv.addSchema({ ...minimalDoc, $id: TES_MINIMAL_ID });
ajv.addSchema({ ...serviceInfoDoc, $id: SERVICE_INFO_URL });

const cache = new Map<string, ValidateFunction>();
function compiled(ref: string): ValidateFunction {
  let v = cache.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    cache.set(ref, v);
  }
  return v;
}

const describe = (errors: ErrorObject[] | null | undefined) => (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');

/** Errors of `value` against components/schemas/<name>, or [] when it conforms. */
export function schemaErrors(name: string, value: unknown, opts: { view?: 'MINIMAL' | 'BASIC' | 'FULL' } = {}): string[] {
  const v = compiled(`${opts.view === 'MINIMAL' ? TES_MINIMAL_ID : TES_ID}#/components/schemas/${name}`);
  return v(value) ? [] : [describe(v.errors)];
}

/**
 * Checks a request's query parameters against the operation's declared parameters (types, enums,
 * formats) and that no undeclared one is sent.
 */
export function queryErrors(path: string, method: string, query: URLSearchParams): string[] {
  const op = tesDoc.paths[path]?.[method.toLowerCase()];
  if (!op) return [`no operation ${method} ${path} in the document`];
  const params = (op.parameters ?? []).map((p) => (p.$ref ? tesDoc.components.parameters[p.$ref.split('/').pop()!]! : p)).filter((p) => p.in === 'query');
  const errors: string[] = [];
  for (const key of new Set(query.keys())) {
    const p = params.find((x) => x.name === key);
    if (!p) {
      errors.push(`${key} is not a parameter of ${method} ${path}`);
      continue;
    }
    const declared = p.schema as { type?: string; $ref?: string };
    // A parameter's schema may point into the document: resolve it against the document's id.
    const schema = declared.$ref?.startsWith('#') ? { $ref: `${TES_ID}${declared.$ref}` } : declared;
    const values = query.getAll(key);
    const value = declared.type === 'array' ? values : declared.type === 'integer' ? Number(values[0]) : values[0];
    const v = ajv.compile(schema);
    if (!v(value)) errors.push(`${key}: ${describe(v.errors)}`);
  }
  return errors;
}
