import { Injectable } from '@nestjs/common';
import type { ConnectionView } from '../connections/connection-view.js';
import type { ConnectSession } from '../connect-sessions/connect-sessions.service.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent, type ConnectSessionConnectedEvent } from '../events/signing-auth.events.js';

/** Emits `connect_session.connected` when a session's work made a connection active. @internal */
@Injectable()
export class ConnectSessionEvents {
  constructor(private readonly events: SigningAuthEventBus) {}

  /** After a PUT: only when there was a session and the provider accepted the credentials (`active`). */
  savedWith(session: ConnectSession | undefined, view: ConnectionView): void {
    if (!session || view.status !== 'active') return;
    this.emit({
      sessionId: session.id,
      tenantId: view.tenantId,
      provider: view.provider,
      status: view.status,
      via: 'credentials',
    });
  }

  /** After the OAuth callback of a flow a session started. */
  authorizedWith(sessionId: string, view: ConnectionView): void {
    this.emit({
      sessionId,
      tenantId: view.tenantId,
      provider: view.provider,
      status: view.status,
      via: 'authorization',
    });
  }

  private emit(event: ConnectSessionConnectedEvent): void {
    this.events.emit(SigningAuthEvent.ConnectSessionConnected, event);
  }
}
