import { ConnectionEntity } from './connection.entity.js';
import { PendingAuthorizationEntity } from './pending-authorization.entity.js';
import { ConnectSessionEntity } from '../connect-sessions/connect-session.entity.js';

/**
 * The library's entities, for a host DataSource that does not use `autoLoadEntities` (e.g. a CLI data
 * source). The classes themselves stay internal.
 * @publicApi
 */
export const SIGNING_AUTH_ENTITIES = [ConnectionEntity, PendingAuthorizationEntity, ConnectSessionEntity];
