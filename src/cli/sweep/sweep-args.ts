import { parseArgs } from 'node:util';
import type { SigningAuthSweepOptions } from 'signing-auth';

/** A command line the `sweep` command cannot run with (exit code 2). */
export class SweepUsageError extends Error {
  override readonly name = 'SweepUsageError';
}

export interface SweepCommand {
  help: boolean;
  json: boolean;
  options: Omit<SigningAuthSweepOptions, 'onProgress' | 'signal'>;
}

export const SWEEP_USAGE = `Usage: npm run sweep -- [options]        (or: node dist/src/cli/sweep.js [options])

Runs one refresh pass over the connections due now, prints a report, exits.

Options:
  --dry-run               list what is due and why; change nothing
  --max-duration <time>   stop claiming after this long (e.g. 90s, 5m, 1h; a bare number is seconds);
                          what is left stays due for the next run
  --provider <id>         only this provider (repeat or comma-separate: --provider docusign,signicat)
  --tenant <id>           only this tenant (repeat or comma-separate)
  --json                  print the report as JSON on stdout (progress still goes to stderr)
  -h, --help              this text

Exit codes: 0 every connection fine, 1 some connection failed or needs re-authorization,
            2 the pass could not run (bad option, database unreachable or locked, bad configuration).
Environment: DATABASE_URL (else the embedded database in SIGNING_AUTH_DATA_DIR, default .data),
             SIGNING_AUTH_ENCRYPTION_KEYS and the provider host overrides, as for the app.`;

export function parseSweepArgs(argv: string[]): SweepCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'dry-run': { type: 'boolean' },
        'max-duration': { type: 'string' },
        provider: { type: 'string', multiple: true },
        tenant: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new SweepUsageError((error as Error).message);
  }
  const maxDuration = parsed['max-duration'];
  return {
    help: parsed.help ?? false,
    json: parsed.json ?? false,
    options: {
      dryRun: parsed['dry-run'] ?? false,
      maxDurationMs: maxDuration === undefined ? undefined : parseDuration(maxDuration),
      providers: list('--provider', parsed.provider),
      tenantIds: list('--tenant', parsed.tenant),
    },
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1h`, `1500ms`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new SweepUsageError(
      `--max-duration must be a duration such as 90s, 5m or 1h (a bare number is seconds); got "${text.slice(0, 40)}"`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's'];
  if (!Number.isFinite(ms) || ms > 7 * 86_400_000) {
    throw new SweepUsageError('--max-duration must be at most 7 days');
  }
  return Math.round(ms);
}

function list(flag: string, values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const ids = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (ids.some((id) => id === '' || id.length > 200)) {
    throw new SweepUsageError(`${flag} needs a non-empty id (at most 200 characters)`);
  }
  return ids;
}
