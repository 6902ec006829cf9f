import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { RESOLVED_OPTIONS, resolveOptions, type ResolvedOptions } from './common/resolved-options.js';
import { SIGNING_AUTH_DATA_SOURCE } from './common/tokens.js';
import { ConnectionCipher } from './connections/connection-cipher.js';
import { ConnectionRepository } from './connections/connection.repository.js';
import { ConnectionsService } from './connections/connections.service.js';
import { ConnectionVerifier } from './verification/connection-verifier.js';
import { ConnectionTester } from './verification/connection-tester.js';
import { AuthorizationFlowService } from './authorization/authorization-flow.service.js';
import { AuthorizationLinkService } from './authorization/authorization-link.service.js';
import { PendingAuthorizationRepository } from './authorization/pending-authorization.repository.js';
import { DocSpringDataRequestService } from './docspring/docspring-data-request.service.js';
import { SigningAuthEventBus } from './events/event-bus.js';
import { AdminBodyErrors } from './admin/admin-body-errors.js';
import { ConnectSessionEvents } from './admin/connect-session-events.js';
import { ConnectSessionGate } from './admin/connect-session.gate.js';
import { ConnectSessionRepository } from './connect-sessions/connect-session.repository.js';
import { ConnectSessionsService } from './connect-sessions/connect-sessions.service.js';
import { FailureThrottle } from './admin/throttle/failure-throttle.js';
import { ConnectionHealthQuery } from './health/connection-health.query.js';
import { SigningAuthHealthIndicator } from './health/signing-auth.health-indicator.js';
import { SigningAuthMetrics } from './metrics/signing-auth.metrics.js';
import { KeyRotationService } from './crypto/key-rotation.service.js';
import { Keyring } from './crypto/keyring.js';
import { SecretCipher } from './crypto/secret-cipher.js';
import { StoredKeyCensus } from './crypto/stored-key-census.js';
import { StoredKeyCheck } from './crypto/stored-key.check.js';
import { createBuiltInStrategies } from './providers/built-in-strategies.js';
import { StrategyRegistry } from './providers/strategy-registry.js';
import { SIGNING_AUTH_STRATEGIES } from './providers/strategy.interface.js';
import { SIGNING_AUTH_MODULE_OPTIONS } from './signing-auth.module-definition.js';
import { BatchedGrantWriter } from './refresh/batched-grant-writer.js';
import { GrantWriteBack } from './refresh/grant-write-back.js';
import { RefreshFailureHandler } from './refresh/refresh-failure.handler.js';
import { ReauthorizationForecast } from './refresh/reauthorization-forecast.js';
import { RefreshLeaseRepository } from './refresh/refresh-lease.repository.js';
import { RefreshSweepService } from './refresh/refresh-sweep.service.js';
import { SigningAuthSweeper } from './refresh/signing-auth-sweeper.js';
import { SweepDueQuery } from './refresh/sweep-due.query.js';
import { TokenChangeNotifier } from './refresh/token-change.notifier.js';
import { TokenRefresher } from './refresh/token-refresher.js';
import { TokenCache } from './tokens/token-cache.js';
import { TokenService } from './tokens/token.service.js';
import { UsageRecorder } from './tokens/usage-recorder.js';
import { HTTP_PROVIDERS } from './http/http.providers.js';
import { SigningAuthHttpService } from './http/signing-auth-http.service.js';
import type { SigningAuthModuleExtras, SigningAuthModuleOptions } from './signing-auth.options.js';

/** Every provider of the core module. Order does not matter; Nest resolves the graph. @internal */
export function createCoreProviders(
  extras: Required<Pick<SigningAuthModuleExtras, 'routePrefix' | 'adminApi'>> &
    Pick<SigningAuthModuleExtras, 'dataSourceName' | 'connectPage'>,
): Provider[] {
  return [
    {
      provide: RESOLVED_OPTIONS,
      useFactory: (options: SigningAuthModuleOptions) => resolveOptions(options, extras),
      inject: [SIGNING_AUTH_MODULE_OPTIONS],
    },
    { provide: SIGNING_AUTH_DATA_SOURCE, useExisting: getDataSourceToken(extras.dataSourceName) },
    {
      provide: Keyring,
      useFactory: (options: ResolvedOptions) => new Keyring(options.encryptionKeys, options.activeKeyId),
      inject: [RESOLVED_OPTIONS],
    },
    { provide: SecretCipher, useFactory: (keyring: Keyring) => new SecretCipher(keyring), inject: [Keyring] },
    {
      provide: SIGNING_AUTH_STRATEGIES,
      useFactory: (options: ResolvedOptions) => [...createBuiltInStrategies(options), ...options.strategies],
      inject: [RESOLVED_OPTIONS],
    },
    StrategyRegistry,
    ConnectionCipher,
    ConnectionRepository,
    ConnectionVerifier,
    ConnectionTester,
    ConnectionsService,
    KeyRotationService,
    StoredKeyCensus,
    StoredKeyCheck,
    SigningAuthEventBus,
    PendingAuthorizationRepository,
    AuthorizationLinkService,
    AuthorizationFlowService,
    DocSpringDataRequestService,
    ConnectionHealthQuery,
    SigningAuthHealthIndicator,
    SigningAuthMetrics,
    AdminBodyErrors,
    ...CONNECT_SESSION_PROVIDERS,
    FailureThrottle,
    ...TOKEN_LIFECYCLE_PROVIDERS,
    ...HTTP_PROVIDERS,
  ];
}

/** Connect sessions and their half of the admin guard. @internal */
const CONNECT_SESSION_PROVIDERS = [
  ConnectSessionRepository,
  ConnectSessionsService,
  ConnectSessionGate,
  ConnectSessionEvents,
];

/** Token cache, refresh lease, change notifications and the sweep. @internal */
const TOKEN_LIFECYCLE_PROVIDERS = [
  RefreshLeaseRepository,
  RefreshFailureHandler,
  BatchedGrantWriter,
  GrantWriteBack,
  ReauthorizationForecast,
  TokenChangeNotifier,
  TokenRefresher,
  RefreshSweepService,
  SweepDueQuery,
  SigningAuthSweeper,
  TokenCache,
  UsageRecorder,
  TokenService,
];

/** What the module exports to the host app. @internal */
export const EXPORTED_PROVIDERS = [
  ConnectionsService,
  KeyRotationService,
  StrategyRegistry,
  AuthorizationFlowService,
  DocSpringDataRequestService,
  SigningAuthHealthIndicator,
  TokenService,
  SigningAuthHttpService,
  SigningAuthSweeper,
  ConnectSessionsService,
];
