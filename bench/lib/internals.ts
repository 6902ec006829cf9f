/**
 * Internal modules of the built package, for measuring its parts in isolation (the public API exports
 * none of them). Loaded from beside the package's entry point, so they are the very module instances the
 * app uses (Nest resolves them as injection tokens).
 */
export async function internal<T>(path: string): Promise<T> {
  return (await import(new URL(path, import.meta.resolve('signing-auth')).href)) as T;
}
