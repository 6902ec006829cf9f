import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { UnknownProviderError } from '../connections/connection.errors.js';
import { BaseProviderStrategy } from './shared/base.strategy.js';
import { SIGNING_AUTH_STRATEGIES, type SigningAuthStrategy } from './strategy.interface.js';

/**
 * Finds the strategy for a provider id. Built-in strategies come first; a strategy passed in the
 * options with the same id replaces the built-in one.
 * @publicApi
 */
@Injectable()
export class StrategyRegistry implements OnApplicationShutdown {
  private readonly byId = new Map<string, SigningAuthStrategy>();

  constructor(@Inject(SIGNING_AUTH_STRATEGIES) private readonly strategies: SigningAuthStrategy[]) {
    for (const strategy of strategies) this.byId.set(strategy.id, strategy);
  }

  /** Closes the built-in strategies' keep-alive sockets to the providers (custom strategies own theirs). */
  onApplicationShutdown(): void {
    for (const strategy of this.strategies) {
      if (strategy instanceof BaseProviderStrategy) strategy.close();
    }
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
