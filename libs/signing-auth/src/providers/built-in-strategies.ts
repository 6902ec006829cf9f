import type { ResolvedOptions } from '../common/resolved-options.js';
import { NetworkPolicy } from '../network/network-policy.js';
import type { BuiltInStrategyDeps } from './shared/base.strategy.js';
import { DocSpringStrategy } from './docspring/docspring.strategy.js';
import { DocuSignStrategy } from './docusign/docusign.strategy.js';
import { FormstackSignStrategy } from './formstack-sign/formstack-sign.strategy.js';
import { OAuth2Strategy } from './oauth2/oauth2.strategy.js';
import { SignicatStrategy } from './signicat/signicat.strategy.js';
import type { SigningAuthStrategy } from './strategy.interface.js';

/** The strategies that ship with the library, with the configured host overrides applied. @internal */
export function createBuiltInStrategies(options: ResolvedOptions): SigningAuthStrategy[] {
  const deps: BuiltInStrategyDeps = {
    hosts: options.hosts,
    providerTimeoutMs: options.refresh.providerTimeoutMs,
    network: new NetworkPolicy(options),
    redirectUri: (provider) => oauthRedirectUri(options, provider),
    docusignRefreshTokenLifetimeMs: options.providerSettings.docusign.refreshTokenLifetimeDays * 86_400_000,
    docusignJwtLifetimeSeconds: options.providerSettings.docusign.jwtLifetimeSeconds,
  };
  return [
    new DocuSignStrategy(deps),
    new FormstackSignStrategy(deps),
    new SignicatStrategy(deps),
    new DocSpringStrategy(deps),
    new OAuth2Strategy(deps),
  ];
}

/** `{publicUrl}/{routePrefix}/oauth/{provider}/callback`: what to register at the provider. @internal */
export function oauthRedirectUri(
  options: Pick<ResolvedOptions, 'publicUrl' | 'routePrefix'>,
  provider: string,
): string {
  const prefix = options.routePrefix ? `/${options.routePrefix}` : '';
  return `${options.publicUrl}${prefix}/oauth/${encodeURIComponent(provider)}/callback`;
}
