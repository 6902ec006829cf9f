import type { Type } from '@nestjs/common';
import { createConnectPageController } from '../connect-page/connect-page.controller.js';
import { createConnectFlowController } from './connect-flow.controller.js';
import { createConnectionRefreshController } from './connection-refresh.controller.js';
import { createConnectionTestController } from './connection-test.controller.js';
import { createConnectionsAdminController } from './connections-admin.controller.js';
import { createConnectSessionsController } from './connect-sessions.controller.js';
import { createDocSpringAdminController } from './docspring-admin.controller.js';
import { createProvidersAdminController } from './providers-admin.controller.js';

/**
 * Every admin controller, under `prefix` (already stripped of slashes), and the Connect page's with
 * `connectPage` (it is loaded here because it, too, carries a `@nestjs/swagger` decorator). @internal
 */
export function createAdminControllers(prefix: string, parts = { connectPage: false }): Type<unknown>[] {
  return [
    ...(parts.connectPage ? [createConnectPageController(prefix)] : []),
    createConnectionsAdminController(prefix),
    createConnectionRefreshController(prefix),
    createConnectionTestController(prefix),
    createConnectFlowController(prefix),
    createDocSpringAdminController(prefix),
    createProvidersAdminController(prefix),
    createConnectSessionsController(prefix),
  ];
}
