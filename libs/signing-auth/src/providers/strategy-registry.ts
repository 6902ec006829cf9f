import { Inject, Injectable } from '@nestjs/common';
import { UnknownProviderError } from '../connections/connection.errors.js';
import { SIGNING_AUTH_STRATEGIES, type SigningAuthStrategy } from './strategy.interface.js';

/**
 * Finds the strategy for a provider id. Built-in strategies come first; a strategy passed in the
 * options with the same id replaces the built-in one.
 * @publicApi
 */
@Injectable()
export class StrategyRegistry {
  private readonly byId = new Map<string, SigningAuthStrategy>();

  constructor(@Inject(SIGNING_AUTH_STRATEGIES) strategies: SigningAuthStrategy[]) {
    for (const strategy of strategies) this.byId.set(strategy.id, strategy);
  }

  get(provider: string): SigningAuthStrategy {
    const strategy = this.byId.get(provider);
    if (!strategy) throw new UnknownProviderError(provider, this.ids);
    return strategy;
  }

  has(provider: string): boolean {
    return this.byId.has(provider);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}
