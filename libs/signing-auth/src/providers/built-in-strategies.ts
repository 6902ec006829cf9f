import type { ResolvedOptions } from '../common/resolved-options.js';
import type { SigningAuthStrategy } from './strategy.interface.js';

/** The strategies that ship with the library, with the configured host overrides applied. @internal */
export function createBuiltInStrategies(_options: ResolvedOptions): SigningAuthStrategy[] {
  return [];
}
