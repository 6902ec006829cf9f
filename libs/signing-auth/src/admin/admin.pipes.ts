import { Injectable, type PipeTransform, type Type } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { jsonShapeProblem, RESERVED_KEY_MESSAGE, reservedKeyPath } from '../common/bounded-json.js';
import { assertTenantId } from '../connections/connections.service.js';
import { AdminInputError } from './admin-error.js';

const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DATA_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** `:tenantId` → 400 unless it is a valid tenant id. @internal */
@Injectable()
export class TenantIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    assertTenantId(value);
    return value;
  }
}

/** `:provider` → 400 unless it looks like a provider id (whether the provider exists is the service's call). @internal */
@Injectable()
export class ProviderIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !PROVIDER_ID.test(value)) {
      throw new AdminInputError('provider', 'must be 1-64 letters, digits, ".", "_" or "-"');
    }
    return value;
  }
}

/** `:dataRequestId` (DocSpring) → 400 unless it is a plausible id. @internal */
@Injectable()
export class DataRequestIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !DATA_REQUEST_ID.test(value)) {
      throw new AdminInputError('dataRequestId', 'must be 1-128 letters, digits, "_" or "-"');
    }
    return value;
  }
}

/**
 * Checks a JSON body against a class-validator DTO without relying on the host's global ValidationPipe:
 * the body must be an object, fields the DTO does not declare are refused, and the failures become one
 * 400 that names every field. Values are never echoed back (they may be secrets).
 * @internal
 */
export function bodyPipe<T extends object>(
  dto: Type<T>,
  options: { optional?: boolean } = {},
): PipeTransform {
  return {
    transform(value: unknown): T {
      if (value === undefined && options.optional) return new dto();
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new AdminInputError('body', 'must be a JSON object');
      }
      const shape = jsonShapeProblem(value);
      if (shape) throw new AdminInputError('body', shape);
      // Before Object.assign: an own `__proto__` would replace the DTO's prototype.
      const reserved = reservedKeyPath(value);
      if (reserved) throw new AdminInputError(reserved, RESERVED_KEY_MESSAGE);
      const instance = Object.assign(new dto(), value);
      const failures = validateSync(instance, {
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        validationError: { target: false, value: false },
      });
      // Every problem in one answer (the constraint the DTO lists first wins for each field).
      const problems = failures.map((failure) => {
        const constraints = Object.entries(failure.constraints ?? {});
        const whitelisted = constraints.find(([name]) => name === 'whitelistValidation');
        const reason = whitelisted ? 'is not an allowed field' : (constraints[0]?.[1] ?? 'is not valid');
        // A field name is input too: name it only when it looks like one (never quote a whole body).
        if (!FIELD_NAME.test(failure.property))
          return { field: 'body', message: 'has a field that is not allowed' };
        return { field: failure.property, message: reason };
      });
      if (problems.length > 0) throw AdminInputError.of(problems);
      return instance;
    },
  };
}
