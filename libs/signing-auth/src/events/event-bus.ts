import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import type { SigningAuthEventName } from './signing-auth.events.js';

type Listener = (name: SigningAuthEventName, payload: Record<string, unknown>) => void;

interface EventEmitterLike {
  emit(event: string, ...values: unknown[]): boolean;
}

/**
 * Delivers lifecycle events to `@nestjs/event-emitter` (when the host registered it), to the `observer`
 * option, and to internal listeners such as metrics. A listener that throws is logged and never breaks a
 * refresh.
 * @internal
 */
@Injectable()
export class SigningAuthEventBus implements OnModuleInit {
  private readonly logger = new Logger('SigningAuthEvents');
  private readonly listeners: Listener[] = [];
  private emitter: EventEmitterLike | null = null;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  /** Internal subscribers (metrics). */
  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Internal-only signals (`token.cache_hit`, `token.cache_miss`) for metrics: delivered to internal
   * listeners only, never to the host's event emitter or observer. Free when nobody listens.
   */
  emitInternal(name: string, payload: { tenantId: string; provider: string }): void {
    for (const listener of this.listeners) {
      this.safely(() =>
        listener(name as SigningAuthEventName, payload as unknown as Record<string, unknown>),
      );
    }
  }

  emit(name: SigningAuthEventName, payload: object): void {
    const event = payload as Record<string, unknown>;
    this.safely(() => this.emitter?.emit(name, event));
    if (this.options.observer) this.safely(() => this.options.observer!.onEvent(name, event));
    for (const listener of this.listeners) this.safely(() => listener(name, event));
  }

  /** `@nestjs/event-emitter` is an optional peer: use it only when installed and registered by the host. */
  async onModuleInit(): Promise<void> {
    try {
      const { EventEmitter2 } = await import('@nestjs/event-emitter');
      this.emitter = (this.moduleRef?.get(EventEmitter2, { strict: false }) as EventEmitterLike) ?? null;
    } catch {
      this.emitter = null; // not installed, or EventEmitterModule.forRoot() not imported by the host
    }
  }

  private safely(fn: () => unknown): void {
    try {
      fn();
    } catch (error) {
      this.logger.error(`An event listener failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
}
