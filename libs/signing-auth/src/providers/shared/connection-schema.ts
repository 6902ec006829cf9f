import { getMetadataStorage, ValidateIf } from 'class-validator';

/**
 * One description of a connection's fields, read from the same DTO classes the validator runs: the
 * class-validator decorators give types, enums, patterns and limits; {@link Field} adds what a person needs
 * (label, help, secret); {@link RequiredWhen} says when an optional field becomes required. The admin API
 * serves it (`GET {prefix}/providers`), the OpenAPI document embeds it and the Connect page builds its forms
 * from it, so the form's required marks and choices cannot drift from what the PUT accepts.
 */

/** A JSON Schema (draft 2020-12 subset, also valid OpenAPI 3 schema) of one field. @publicApi */
export interface ConnectionFieldSchema {
  type: 'string' | 'boolean' | 'array';
  title: string;
  description?: string;
  enum?: string[];
  items?: { type: 'string'; pattern?: string };
  pattern?: string;
  maxLength?: number;
  maxItems?: number;
  format?: string;
  default?: unknown;
  /** Secret: stored encrypted, never shown again. */
  writeOnly?: true;
  /** Required when another field (`grant`, or `config.grant` from `secrets`) holds one of these values. */
  'x-requiredWhen'?: Record<string, string[]>;
  /** A long value (PEM key): a multi-line input. */
  'x-multiline'?: true;
  /**
   * The field applies only while another field holds one of these values (DocuSign's `loginHint`: `grant`
   * jwt); a form hides it otherwise and does not send it.
   */
  'x-shownWhen'?: Record<string, string[]>;
}

/** The JSON Schema of `config` or `secrets`. @publicApi */
export interface ConnectionPartSchema {
  type: 'object';
  properties: Record<string, ConnectionFieldSchema>;
  required: string[];
  additionalProperties: false;
}

/** What a provider's connection looks like: the admin PUT body, described. @publicApi */
export interface ConnectionSchema {
  /** The provider id, e.g. `docusign`. */
  provider: string;
  /** A human name, e.g. `DocuSign`. */
  title: string;
  description?: string;
  config: ConnectionPartSchema;
  secrets: ConnectionPartSchema;
  /** A body that passes validation apart from the placeholder credentials (the OpenAPI example). */
  example: { config: Record<string, unknown>; secrets: Record<string, string> };
}

/** What a person reads next to a field. @internal */
export interface FieldDescription {
  label: string;
  help?: string;
  secret?: boolean;
  multiline?: boolean;
  default?: unknown;
  /** Required when a field of the other part holds one of these values, e.g. `{ 'config.grant': ['jwt'] }`. */
  requiredWhen?: Record<string, string[]>;
  /** Applies only when a field holds one of these values, e.g. `{ grant: ['jwt'] }` (optional fields). */
  shownWhen?: Record<string, string[]>;
}

const DESCRIPTIONS = new WeakMap<object, Map<string, FieldDescription>>();
const CONDITIONS = new WeakMap<object, Map<string, Record<string, string[]>>>();

/** Label, help and secrecy of a DTO field. @internal */
export function Field(description: FieldDescription): PropertyDecorator {
  return (target, property) => {
    const byProperty = DESCRIPTIONS.get(target.constructor) ?? new Map<string, FieldDescription>();
    byProperty.set(String(property), description);
    DESCRIPTIONS.set(target.constructor, byProperty);
    if (description.requiredWhen)
      addCondition(target.constructor, String(property), description.requiredWhen);
  };
}

/**
 * Optional unless `sibling` holds one of `values`; then required. The other decorators run only when a value
 * is present; whether it must be present is decided by {@link missingRequired}, from the same metadata the
 * schema shows.
 * @internal
 */
export function RequiredWhen(sibling: string, values: string[]): PropertyDecorator {
  return (target, property) => {
    addCondition(target.constructor, String(property), { [sibling]: values });
    ValidateIf((o: Record<string, unknown>) => o[String(property)] !== undefined)(target, property);
  };
}

function addCondition(dto: object, property: string, condition: Record<string, string[]>): void {
  const byProperty = CONDITIONS.get(dto) ?? new Map<string, Record<string, string[]>>();
  byProperty.set(property, { ...byProperty.get(property), ...condition });
  CONDITIONS.set(dto, byProperty);
}

type Ctor = new () => object;
const CACHE = new WeakMap<Ctor, ConnectionPartSchema>();

/** The JSON Schema of a DTO, from its class-validator and {@link Field} metadata. @internal */
export function describePart(dto: Ctor): ConnectionPartSchema {
  const cached = CACHE.get(dto);
  if (cached) return cached;
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const descriptions = DESCRIPTIONS.get(dto) ?? new Map<string, FieldDescription>();
  const conditions = CONDITIONS.get(dto) ?? new Map<string, Record<string, string[]>>();
  const properties: Record<string, ConnectionFieldSchema> = {};
  const required: string[] = [];
  const names = [...new Set([...metadatas.map((m) => m.propertyName), ...descriptions.keys()])];
  for (const name of names) {
    const own = metadatas.filter((m) => m.propertyName === name);
    const has = (constraint: string) => own.find((m) => m.name === constraint);
    const text = descriptions.get(name);
    const field: ConnectionFieldSchema = { type: 'string', title: text?.label ?? name };
    if (text?.help) field.description = text.help;
    if (has('isArray')) field.type = 'array';
    else if (has('isBoolean')) field.type = 'boolean';
    const isIn = has('isIn');
    if (isIn) field.enum = [...(isIn.constraints[0] as string[])];
    for (const m of own) {
      // A JSON Schema pattern has no flags: a case-insensitive regex (GUIDs) is left to the server.
      const regex = m.name === 'matches' ? (m.constraints[0] as RegExp) : undefined;
      const pattern = regex && !regex.flags ? regex.source : undefined;
      if (pattern && m.each) field.items = { type: 'string', pattern };
      else if (pattern) field.pattern = pattern;
      if (m.name === 'maxLength') field.maxLength = m.constraints[0] as number;
      if (m.name === 'arrayMaxSize') field.maxItems = m.constraints[0] as number;
      if (m.name === 'isProviderUrl') field.format = 'uri';
    }
    if (field.type === 'array' && !field.items) field.items = { type: 'string' };
    if (text?.default !== undefined) field.default = text.default;
    if (text?.secret) {
      field.writeOnly = true;
      field.format = field.format ?? 'password';
    }
    if (text?.multiline) field['x-multiline'] = true;
    if (text?.shownWhen) field['x-shownWhen'] = text.shownWhen;
    const condition = conditions.get(name);
    if (condition) field['x-requiredWhen'] = condition;
    const optional = own.some((m) => m.type === 'conditionalValidation');
    if (!optional && !condition) required.push(name);
    properties[name] = field;
  }
  const schema: ConnectionPartSchema = { type: 'object', properties, required, additionalProperties: false };
  CACHE.set(dto, schema);
  return schema;
}

/**
 * The required fields of `part` that `value` lacks, with the reason ("is required", or "is required for the
 * jwt grant"). `others` holds the other parts, for conditions such as `config.grant`.
 * @internal
 */
export function missingRequired(
  schema: ConnectionPartSchema,
  value: Record<string, unknown>,
  others: Record<string, unknown>,
): Array<{ property: string; reason: string }> {
  const missing: Array<{ property: string; reason: string }> = [];
  for (const [property, field] of Object.entries(schema.properties)) {
    if (value[property] !== undefined && value[property] !== null) continue;
    if (schema.required.includes(property)) {
      const choices = field.enum ? ` (one of: ${field.enum.join(', ')})` : '';
      missing.push({ property, reason: `is required${choices}` });
      continue;
    }
    for (const [path, values] of Object.entries(field['x-requiredWhen'] ?? {})) {
      const actual = lookup(path, value, others);
      if (typeof actual === 'string' && values.includes(actual)) {
        const name = path.split('.').pop();
        missing.push({ property, reason: `is required for the ${actual} ${name}` });
        break;
      }
    }
  }
  return missing;
}

function lookup(path: string, value: Record<string, unknown>, others: Record<string, unknown>): unknown {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return value[head];
  const part = others[head];
  return part && typeof part === 'object' ? (part as Record<string, unknown>)[rest.join('.')] : undefined;
}

/** Builds a provider's {@link ConnectionSchema} from its two DTOs. @internal */
export function connectionSchema(
  head: Pick<ConnectionSchema, 'provider' | 'title' | 'description' | 'example'>,
  configDto: Ctor,
  secretsDto: Ctor,
): ConnectionSchema {
  return { ...head, config: describePart(configDto), secrets: describePart(secretsDto) };
}
