import { ConsoleLogger, type INestApplicationContext, type LogLevel } from '@nestjs/common';

/**
 * Exit codes shared by every command of the example app (the table is in docs/reference/example-app.md,
 * "Commands and exit codes"): scripts and CronJobs can tell "ran, look at the report" from "did not run".
 */
export const EXIT = {
  /** Done; nothing needs attention. */
  ok: 0,
  /** Done, but some items need attention (a connection failed, a value could not be decrypted). */
  attention: 1,
  /** Did not run, for a reason the operator can fix (one line on stderr says which). */
  cannotRun: 2,
  /** Did not run because of an unexpected error (a bug): the message and its stack on stderr. */
  unexpected: 3,
} as const;

/** A wrong command line: the message says which option and why. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Errors whose message already says what is wrong and what to do: printed as they are, in one line. */
const KNOWN_ERRORS = new Set([
  'EmbeddedDatabaseLockedError',
  'AppConfigError',
  'DevSecretsError',
  'InvalidEncryptionKeysError',
  'CliUsageError',
  'SweepUsageError',
  'SigningAuthSweepOptionsError',
]);
/** Socket errors of a database that cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);
/** PostgreSQL's answers to a connection it refuses: bad password, no such role or database. */
const REFUSED_SQLSTATES = new Set(['28P01', '28000', '3D000']);

/**
 * The one line to print for a failure the operator can fix, or null for an unexpected one. Follows
 * `cause` and AggregateError's `errors` (pg and Node wrap the socket error).
 */
export function knownFailure(error: unknown, databaseUrl?: string): string | null {
  for (const e of causes(error)) {
    if (KNOWN_ERRORS.has(e.name)) return e.message;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || REFUSED_SQLSTATES.has(code))) {
      const where = databaseUrl ? `at ${safeHost(databaseUrl)} ` : '';
      const why = UNREACHABLE_CODES.has(code) ? code : `${code}: ${e.message}`;
      return `cannot reach the database ${where}(${why}); start it, or fix DATABASE_URL`;
    }
  }
  return null;
}

/**
 * Runs a command's body and turns what it throws into the exit-code table: a known failure → one line
 * on stderr (`name: message`) and 2; anything else → the message, its stack and 3.
 */
export async function runCommand(name: string, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const known = knownFailure(error, process.env.DATABASE_URL);
    if (known !== null) {
      process.stderr.write(`${name}: ${oneLine(known)}\n`);
      process.exitCode = EXIT.cannotRun;
    } else {
      const e = error instanceof Error ? error : new Error(String(error));
      process.stderr.write(`${name}: unexpected error: ${oneLine(e.message)}\n${e.stack ?? ''}\n`);
      process.exitCode = EXIT.unexpected;
    }
  }
}

/** Nest's contexts whose messages a command must not print: the runner reports the failure itself. */
const QUIET_CONTEXTS = new Set(['ExceptionHandler', 'TypeOrmModule', 'NestFactory', 'InstanceLoader']);

/**
 * Nest's console logger for commands: everything on stderr (stdout carries only the result, e.g. JSON),
 * and without Nest's bootstrap chatter or its stack trace of a failed start (the runner prints one line).
 */
export class CliLogger extends ConsoleLogger {
  constructor(name: string, logLevels: LogLevel[] = ['error', 'warn']) {
    super(name, { logLevels });
  }

  /** Nest's `Logger` passes its context last; an error from a quiet context (and its stack) is dropped. */
  override error(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && QUIET_CONTEXTS.has(context)) return;
    super.error(message, ...rest);
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    if (context && QUIET_CONTEXTS.has(context)) return;
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

/** Boots the commands' Nest module (no HTTP, no scheduler) quietly. */
export async function createCliContext(
  name: string,
  logLevels?: LogLevel[],
): Promise<INestApplicationContext> {
  const [{ NestFactory }, { CliModule }] = await Promise.all([
    import('@nestjs/core'),
    import('./cli.module.js'),
  ]);
  return NestFactory.createApplicationContext(CliModule, {
    logger: new CliLogger(name, logLevels),
    abortOnError: false,
  });
}

function* causes(error: unknown, depth = 0): Generator<Error> {
  if (!(error instanceof Error) || depth > 5) return;
  yield error;
  if (error instanceof AggregateError) for (const e of error.errors) yield* causes(e, depth + 1);
  yield* causes(error.cause, depth + 1);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** `host:port` of a database URL, never its password. */
function safeHost(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return 'DATABASE_URL';
  }
}
