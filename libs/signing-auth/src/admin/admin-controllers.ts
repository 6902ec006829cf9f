import type { Type } from '@nestjs/common';
import { createConnectionsAdminController } from './connections-admin.controller.js';

/** Every admin controller, under `prefix` (already stripped of slashes). @internal */
export function createAdminControllers(prefix: string): Type<unknown>[] {
  return [createConnectionsAdminController(prefix)];
}
