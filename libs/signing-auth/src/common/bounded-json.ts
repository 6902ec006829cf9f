/** Limits for JSON that comes from outside (admin bodies, connection config and secrets). @internal */
export const JSON_LIMITS = { maxDepth: 10, maxArrayLength: 100, maxKeys: 200 } as const;

/**
 * Why a parsed JSON value is too deep or too wide to be processed safely, or `undefined` when it is not.
 * Iterative (an explicit stack), so 100 000 nested arrays cost a loop, not the call stack: validators and
 * class-transformer recurse and would throw a RangeError (a 500) on such input.
 * @internal
 */
export function jsonShapeProblem(value: unknown, limits = JSON_LIMITS): string | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  let keys = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limits.maxDepth) return `is nested more than ${limits.maxDepth} levels deep`;
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength)
        return `has a list of more than ${limits.maxArrayLength} items`;
      for (const item of node) stack.push({ node: item, depth: depth + 1 });
      continue;
    }
    const entries = Object.values(node as Record<string, unknown>);
    keys += entries.length;
    if (keys > limits.maxKeys) return `has more than ${limits.maxKeys} fields`;
    for (const item of entries) stack.push({ node: item, depth: depth + 1 });
  }
  return undefined;
}

/** Keys that reach an object's prototype machinery when copied with `Object.assign` or a transformer. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const NAME_LIKE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * The first own key named `__proto__`, `constructor` or `prototype` at any depth of a parsed JSON value, as
 * the field path an error names (`config.nested.__proto__`; `[n]` for list items), or `undefined` when
 * there is none. `JSON.parse` makes `"__proto__"` an own property; `Object.assign` onto a DTO would then
 * replace the DTO's prototype, and validation would report a field called `undefined`. A path part that does
 * not look like a field name is not quoted (it is input): the path stops at the last one that does.
 * Iterative, like {@link jsonShapeProblem}; call it after that check has bounded the value.
 * @internal
 */
export function reservedKeyPath(value: unknown, prefix?: string): string | undefined {
  const stack: { node: unknown; path: string | undefined; quotable: boolean }[] = [
    { node: value, path: prefix, quotable: true },
  ];
  while (stack.length > 0) {
    const { node, path, quotable } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) =>
        stack.push({ node: item, path: quotable ? `${path ?? 'body'}[${i}]` : path, quotable }),
      );
      continue;
    }
    for (const key of Object.keys(node)) {
      // The reserved key itself is one of three fixed names: quoting it echoes nothing of the input.
      if (RESERVED_KEYS.has(key)) return join(path, key);
      const nameLike = quotable && NAME_LIKE.test(key);
      stack.push({
        node: (node as Record<string, unknown>)[key],
        path: nameLike ? join(path, key) : path,
        quotable: nameLike,
      });
    }
  }
  return undefined;
}

function join(path: string | undefined, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The message for a field {@link reservedKeyPath} found. @internal */
export const RESERVED_KEY_MESSAGE =
  'is a reserved name: "__proto__", "constructor" and "prototype" are refused as field names at any depth';
