// The whole public API of signing-auth. Entities, repositories and internal helpers stay unexported.
export * from './signing-auth.options.js';
export type { EncryptionKey } from './crypto/keyring.js';
export { SecretDecryptionError, InvalidEncryptionKeysError } from './crypto/crypto.errors.js';
export * from './providers/strategy.interface.js';
export * from './providers/provider.errors.js';
export * from './connections/connection.errors.js';
export type { ConnectionStatus } from './connections/connection-status.js';
export { SIGNING_AUTH_ENTITIES } from './connections/entities.js';
export { SIGNING_AUTH_MIGRATIONS } from './migrations/index.js';
export { SigningAuthModule } from './signing-auth.module.js';
export { AdminApiUnavailableError } from './admin-api.loader.js';
export { ConnectionsService, type ConnectionInput } from './connections/connections.service.js';
export type { ConnectionView } from './connections/connection-view.js';
export type { ConnectionTestResult } from './verification/connection-tester.js';
export { KeyRotationService, type KeyRotationReport } from './crypto/key-rotation.service.js';
export type { StoredKeyCount } from './crypto/stored-key-census.js';
export { StrategyRegistry } from './providers/strategy-registry.js';
export * from './events/signing-auth.events.js';
export {
  AuthorizationFlowService,
  type AuthorizationCallbackParams,
  type AuthorizationCompleteOptions,
  type AuthorizationStartOptions,
  type BrowserBinding,
} from './authorization/authorization-flow.service.js';
export * from './authorization/authorization.errors.js';
export {
  DocSpringDataRequestService,
  type DocSpringDataRequestToken,
  type DocSpringDataRequestTokenType,
} from './docspring/docspring-data-request.service.js';
export * from './docspring/docspring.errors.js';
export {
  ConnectSessionsService,
  type ConnectSession,
  type ConnectSessionCreateOptions,
  type ConnectSessionResolution,
  type CreatedConnectSession,
} from './connect-sessions/connect-sessions.service.js';
export { ConnectSessionOptionsError } from './connect-sessions/connect-session.errors.js';
export type { DocuSignMetadata } from './providers/docusign/docusign-userinfo.js';
export {
  SigningAuthHealthIndicator,
  type SigningAuthHealthOptions,
  type SigningAuthHealthResult,
} from './health/signing-auth.health-indicator.js';
export type { ConnectionHealthCounts } from './health/connection-health.query.js';
export { SigningAuthMetricNames } from './metrics/signing-auth.metrics.js';
export { SigningAuthSweeper, SigningAuthSweepOptionsError } from './refresh/signing-auth-sweeper.js';
export { SWEEP_JOB_NAME } from './refresh/refresh-sweep.service.js';
export {
  SigningAuthSweepMetricNames,
  SWEEP_REPORT_LIST_LIMIT,
  type SigningAuthSweepReport,
  type SigningAuthSweepOptions,
  type SigningAuthSweepProgress,
  type SigningAuthSweepTrigger,
  type SigningAuthSweepFailure,
  type SigningAuthSweepFailureClass,
  type SigningAuthSweepDueConnection,
} from './refresh/sweep-report.js';
export type { AdminErrorBody } from './admin/admin-error.js';
export { TokenService } from './tokens/token.service.js';
export type { AccessToken } from './tokens/access-token.js';
export * from './refresh/refresh.errors.js';
export { SigningAuthHttpService } from './http/signing-auth-http.service.js';
export type { SigningAuthRequestOptions } from './http/signing-auth-request.js';
export * from './http/http.errors.js';
export { SigningAuthRateLimitError } from './rate-limits/rate-limit.errors.js';
export type { RateLimitBudgetView } from './rate-limits/rate-limit-budgets.js';
export { SigningAuthDatabaseError } from './common/query-rows.js';
export type {
  ConnectionSchema,
  ConnectionPartSchema,
  ConnectionFieldSchema,
} from './providers/shared/connection-schema.js';
export {
  MemoryRateLimitStore,
  type RateLimitWindow,
  type SigningAuthRateLimitStore,
} from './admin/throttle/rate-limit-store.js';
