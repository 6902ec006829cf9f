import { createPrivateKey } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import {
  registerDecorator,
  validateSync,
  type ValidationArguments,
  type ValidationError,
  type ValidationOptions,
} from 'class-validator';
import { jsonShapeProblem, RESERVED_KEY_MESSAGE, reservedKeyPath } from '../../common/bounded-json.js';
import { ConnectionValidationError, type FieldProblem } from '../../connections/connection.errors.js';
import {
  describePart,
  missingRequired,
  type ConnectionFieldSchema,
  type ConnectionPartSchema,
} from './connection-schema.js';

type Ctor<T> = new () => T;

/**
 * Collects every problem of a connection's `config` and `secrets` before answering, so a person fixes them
 * all in one round trip. Each problem names `part.field` and the fix; none quotes the value (it may be a
 * secret).
 * @internal
 */
export class ConnectionProblems {
  private readonly problems: FieldProblem[] = [];
  private readonly parts: Record<string, unknown> = {};

  /**
   * Checks one part against its DTO and returns it (as far as it is valid: check {@link ok} before trusting a
   * field). `others` lets a field's requirement depend on another part (`config.grant`).
   */
  part<T extends object>(part: 'config' | 'secrets', dto: Ctor<T>, value: unknown): T {
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.add(part, value === undefined || value === null ? 'is required' : 'must be a JSON object');
      return new dto();
    }
    // Before class-transformer, which recurses: 3 000 nested arrays would be a RangeError (a 500).
    const shape = jsonShapeProblem(value);
    if (shape) {
      this.add(part, shape);
      return new dto();
    }
    const reserved = reservedKeyPath(value, part);
    if (reserved) {
      this.add(reserved, RESERVED_KEY_MESSAGE);
      return new dto();
    }
    this.parts[part] = value;
    const instance = plainToInstance(dto, value, { enableImplicitConversion: false });
    const schema = describePart(dto);
    const missing = missingRequired(schema, value as Record<string, unknown>, this.parts);
    for (const { property, reason } of missing) this.add(`${part}.${property}`, reason);
    const errors = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    for (const error of errors) {
      if (missing.some((m) => m.property === error.property)) continue;
      this.collect(error, part, schema);
    }
    return instance;
  }

  /** Records a problem found by the strategy's own rules (across fields or parts). */
  add(field: string, message: string): void {
    if (!this.problems.some((p) => p.field === field)) this.problems.push({ field, message });
  }

  /** Whether `field` (e.g. `config.grant`) passed, i.e. its value can be relied on. */
  ok(field: string): boolean {
    return !this.problems.some((p) => p.field === field || field.startsWith(`${p.field}.`));
  }

  get any(): boolean {
    return this.problems.length > 0;
  }

  /** Throws one {@link ConnectionValidationError} holding every problem, if there is any. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw ConnectionValidationError.of([...this.problems]);
  }

  private collect(error: ValidationError, prefix: string, schema?: ConnectionPartSchema): void {
    // A field name is input too: quote it only when it looks like one.
    if (!/^[A-Za-z0-9_]{1,64}$/.test(error.property))
      return this.add(prefix, 'has a field that is not allowed');
    const path = `${prefix}.${error.property}`;
    if (error.children && error.children.length > 0) {
      for (const child of error.children) this.collect(child, path);
      return;
    }
    this.add(path, reasonOf(error, schema?.properties[error.property]));
  }
}

/** The type checks first: "must be a list" says more than "must contain no more than 50 elements". */
const PRIORITY = ['whitelistValidation', 'isArray', 'isBoolean', 'isString', 'isIn', 'isNotEmpty'];
const PLAIN: Record<string, string> = {
  whitelistValidation: 'is not a known field',
  isArray: 'must be a list (a JSON array of strings)',
  isBoolean: 'must be true or false',
  isString: 'must be a string',
  isNotEmpty: 'must not be empty',
};

function reasonOf(error: ValidationError, field?: ConnectionFieldSchema): string {
  const constraints = error.constraints ?? {};
  const name = PRIORITY.find((c) => c in constraints) ?? Object.keys(constraints)[0];
  if (!name) return 'is invalid';
  if (name === 'isIn' && field?.enum) return `must be one of: ${field.enum.join(', ')}`;
  if (PLAIN[name]) return PLAIN[name];
  // class-validator prefixes its default messages with the property name; the path already names it.
  return constraints[name].replace(new RegExp(`^${error.property}\\s+`), '');
}

/**
 * Validates one part of a connection (`config` or `secrets`) against a DTO class and throws a
 * {@link ConnectionValidationError} listing every problem of that part. For custom strategies and tests;
 * the built-in strategies use {@link ConnectionProblems} to report both parts at once.
 * @internal
 */
export function validatePart<T extends object>(part: 'config' | 'secrets', dto: Ctor<T>, value: unknown): T {
  const problems = new ConnectionProblems();
  const instance = problems.part(part, dto, value);
  problems.throwIfAny();
  return instance;
}

/** Drops keys whose value is `undefined`, so stored config stays minimal. @internal */
export function compact<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** https URLs; http only for 127.0.0.1 / localhost / [::1] (emulators, local proxies). @internal */
export function isAllowedUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** Decorator form of {@link isAllowedUrl}. @internal */
export function IsProviderUrl(options?: ValidationOptions): PropertyDecorator {
  return custom(
    'isProviderUrl',
    isAllowedUrl,
    'must be an https URL (http only for 127.0.0.1 or localhost)',
    options,
  );
}

/** A PEM RSA private key that Node can load (PKCS#1 `RSA PRIVATE KEY` or PKCS#8). @internal */
export function IsPemRsaPrivateKey(options?: ValidationOptions): PropertyDecorator {
  return custom(
    'isPemRsaPrivateKey',
    (value) => {
      if (typeof value !== 'string' || !value.includes('-----BEGIN')) return false;
      try {
        return createPrivateKey({ key: value, format: 'pem' }).asymmetricKeyType === 'rsa';
      } catch {
        return false;
      }
    },
    'must be a PEM-encoded RSA private key',
    options,
  );
}

function custom(
  name: string,
  test: (value: unknown) => boolean,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate: (value: unknown, _args?: ValidationArguments) => test(value) },
    });
}

/** DocuSign integration keys, user ids and account ids are GUIDs. @internal */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** One OAuth scope token (RFC 6749 §3.3: no spaces, quotes or backslashes). @internal */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
