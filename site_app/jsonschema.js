/**
 * Checks a value against a JSON Schema (draft 2020-12): the keywords of models.schema.json,
 * which the export generates from its records (lwm/records.py) and writes beside models.json.
 *
 *   import { validate } from './jsonschema.js';
 *   const errors = validate(schema, manifest);  // [] when it conforms, else "$.path: why" lines
 *
 * Only the keywords that schema uses are implemented; a schema with any other keyword is
 * refused, so a check this module cannot make is never passed silently. The tests run it
 * under Node.js beside the Python jsonschema package on the same files (tests/test_schema.py).
 */

// keywords that describe and assert nothing (format is an annotation in 2020-12 by default)
const ANNOTATIONS = new Set(['$schema', '$id', '$defs', '$comment', 'title', 'description', 'format']);
const ASSERTIONS = new Set([
  '$ref', 'type', 'const', 'enum', 'anyOf', 'properties', 'required', 'additionalProperties',
  'items', 'prefixItems', 'minItems', 'maxItems',
]);

function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;  // 'object', 'number', 'string', 'boolean'
}

function hasType(value, type) {
  if (type === 'integer') return Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return kindOf(value) === type;
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolve(root, ref) {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}: only references inside the schema`);
  let node = root;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
  return node;
}

function check(root, schema, value, path, errors) {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: not allowed here`);
    return;
  }
  for (const key of Object.keys(schema)) {
    if (!ASSERTIONS.has(key) && !ANNOTATIONS.has(key)) throw new Error(`unsupported schema keyword ${key} at ${path}`);
  }
  if ('$ref' in schema) check(root, resolve(root, schema.$ref), value, path, errors);
  if ('type' in schema) {
    const types = [].concat(schema.type);
    if (!types.some((t) => hasType(value, t))) {
      errors.push(`${path}: expected ${types.join(' or ')}, got ${kindOf(value)}`);
      return;  // the remaining keywords would only repeat it
    }
  }
  if ('const' in schema && !sameJson(value, schema.const)) {
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  }
  if ('enum' in schema && !schema.enum.some((e) => sameJson(value, e))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if ('anyOf' in schema) {
    const branches = schema.anyOf.map((s) => {
      const found = [];
      check(root, s, value, path, found);
      return found;
    });
    if (!branches.some((found) => found.length === 0)) {
      errors.push(`${path}: matches none of ${schema.anyOf.length} alternatives (${branches.map((f) => f[0]).join('; ')})`);
    }
  }
  if (kindOf(value) === 'object') {
    const props = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!(name in value)) errors.push(`${path}: lacks ${name}`);
    }
    for (const [name, v] of Object.entries(value)) {
      if (name in props) check(root, props[name], v, `${path}.${name}`, errors);
      else if ('additionalProperties' in schema) check(root, schema.additionalProperties, v, `${path}.${name}`, errors);
    }
  }
  if (kindOf(value) === 'array') {
    const prefix = schema.prefixItems ?? [];
    value.forEach((v, i) => {
      const s = i < prefix.length ? prefix[i] : schema.items;
      if (s !== undefined) check(root, s, v, `${path}[${i}]`, errors);
    });
    if ('minItems' in schema && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if ('maxItems' in schema && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
  }
}

/** Every way ``value`` breaks ``schema``, as "$.path: why" lines; [] when it conforms. */
export function validate(schema, value) {
  const errors = [];
  check(schema, schema, value, '$', errors);
  return errors;
}
