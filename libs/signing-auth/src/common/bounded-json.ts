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
