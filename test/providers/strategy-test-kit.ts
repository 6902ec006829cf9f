/**
 * Helpers for testing the built-in strategies against the emulators without a database: a strategy set
 * built exactly as the module builds it (host overrides included), connections as the store hands them
 * over, and a StrategyContext.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  ProviderFailure,
  type ProviderHostOverrides,
  type SigningAuthStrategy,
  type StrategyConnection,
  type StrategyContext,
} from 'signing-auth';
import { resolveOptions } from '../../libs/signing-auth/src/common/resolved-options.js';
import { createBuiltInStrategies } from '../../libs/signing-auth/src/providers/built-in-strategies.js';

export const PUBLIC_URL = 'http://127.0.0.1:3999';

export function callbackUrl(provider: string): string {
  return `${PUBLIC_URL}/signing-auth/oauth/${provider}/callback`;
}

export function builtInStrategy(
  id: string,
  hosts: ProviderHostOverrides,
  refresh: { providerTimeoutMs?: number } = {},
): SigningAuthStrategy {
  const options = resolveOptions(
    { encryptionKeys: 'k1:' + Buffer.alloc(32, 1).toString('base64'), hosts, publicUrl: PUBLIC_URL, refresh },
    { routePrefix: 'signing-auth', adminApi: false },
  );
  const strategy = createBuiltInStrategies(options).find((s) => s.id === id);
  if (!strategy) throw new Error(`no built-in strategy ${id}`);
  return strategy;
}

/** Validates config/secrets through the strategy (as ConnectionsService does) and returns the connection. */
export function connectionFor(
  strategy: SigningAuthStrategy,
  input: { config: unknown; secrets: unknown },
  extra: Partial<StrategyConnection> = {},
): StrategyConnection {
  const validated = strategy.validate(input);
  return {
    tenantId: 'tenant-1',
    provider: strategy.id,
    config: validated.config,
    secrets: validated.secrets,
    metadata: {},
    refreshToken: null,
    ...extra,
  };
}

export function context(
  now: Date = new Date(),
  signal: AbortSignal = new AbortController().signal,
): StrategyContext {
  return { signal, now: () => now };
}

/** Runs `fn`, expecting a ProviderFailure; returns it. */
export async function failureOf(fn: () => Promise<unknown>): Promise<ProviderFailure> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ProviderFailure) return error;
    throw error;
  }
  throw new Error('expected a ProviderFailure, got success');
}

/** Asserts that no canary appears in the failure's message or details. */
export function expectNoSecrets(failure: Error, canaries: string[]): void {
  const text = `${failure.message} ${JSON.stringify(failure)} ${String(failure.stack)}`;
  for (const canary of canaries) expect(text).not.toContain(canary);
}

export function rsaKeyPair(format: 'pkcs1' | 'pkcs8' = 'pkcs1'): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: format, format: 'pem' },
  });
}
