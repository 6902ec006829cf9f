import { createPrivateKey } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import {
  registerDecorator,
  validateSync,
  type ValidationArguments,
  type ValidationError,
  type ValidationOptions,
} from 'class-validator';
import { jsonShapeProblem } from '../../common/bounded-json.js';
import { ConnectionValidationError } from '../../connections/connection.errors.js';

type Ctor<T> = new () => T;

/**
 * Validates one part of a connection (`config` or `secrets`) against a DTO class: unknown fields are
 * rejected, the first problem becomes a {@link ConnectionValidationError} naming `part.field`.
 * Messages never quote the value (it may be a secret).
 * @internal
 */
export function validatePart<T extends object>(part: 'config' | 'secrets', dto: Ctor<T>, value: unknown): T {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConnectionValidationError(part, 'must be an object');
  }
  // Before class-transformer, which recurses: 3 000 nested arrays would be a RangeError (a 500).
  const shape = jsonShapeProblem(value);
  if (shape) throw new ConnectionValidationError(part, shape);
  const instance = plainToInstance(dto, value, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const { path, reason } = firstProblem(errors[0], part);
    throw new ConnectionValidationError(path, reason);
  }
  return instance;
}

function firstProblem(error: ValidationError, prefix: string): { path: string; reason: string } {
  // A field name is input too: quote it only when it looks like one.
  if (!/^[A-Za-z0-9_]{1,64}$/.test(error.property))
    return { path: prefix, reason: 'has a field that is not allowed' };
  const path = `${prefix}.${error.property}`;
  if (error.children && error.children.length > 0) return firstProblem(error.children[0], path);
  const constraints = error.constraints ?? {};
  if (constraints.whitelistValidation) return { path, reason: 'is not a known field' };
  const messages = Object.values(constraints);
  // class-validator prefixes messages with the property name; the path already names it.
  const reason = (messages[0] ?? 'is invalid').replace(new RegExp(`^${error.property}\\s+`), '');
  return { path, reason };
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
