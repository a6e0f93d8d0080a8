// Validates a HAR document against the HAR 1.2 JSON schema (har-schema, with ajv), as other tools check it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

let validate: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (validate) return validate;
  const schemas = require('har-schema') as Record<string, { $id: string }>;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  // har-schema's formats (ajv-formats is not needed for these three).
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
  ajv.addFormat('ipv4', /^(\d{1,3}\.){3}\d{1,3}$/);
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('ipv6', /^[0-9a-f.]*:[0-9a-f:.]*$/i);
  // har-schema writes `min` where it means `minimum` (timings ≥ -1, time ≥ 0): enforce what it means.
  ajv.addKeyword({
    keyword: 'min',
    type: 'number',
    schemaType: 'number',
    validate: (min: number, data: number) => data >= min,
  });
  for (const [name, schema] of Object.entries(schemas)) if (name !== 'har') ajv.addSchema(schema);
  validate = ajv.compile(schemas.har!);
  return validate;
}

/** Throws, listing every violation, unless `har` passes the HAR 1.2 schema. */
export function assertValidHar(har: unknown, label = 'HAR'): void {
  const v = validator();
  const ok = v(har);
  const errors = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  assert.ok(ok, `${label} fails the HAR 1.2 schema:\n${errors.slice(0, 20).join('\n')}`);
}
