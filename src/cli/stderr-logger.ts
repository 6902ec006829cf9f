import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** Nest's console logger, but every level on stderr: a command's stdout carries only its result (JSON). */
export class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}
