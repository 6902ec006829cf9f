/**
 * One app process of the herd scenario: the library against the scenario's database, driven over IPC.
 * On `{ type: 'go', tenantId, callers }` it starts `callers` concurrent getAccessToken calls for the same
 * connection at once and answers with each caller's wait in ms. Config in env HERD_CONFIG (JSON).
 */
import { TokenService } from 'signing-auth';
import { startBenchApp } from './bench-app.js';
import { databaseOptions } from './bench-database.js';

export interface HerdWorkerConfig {
  databaseUrl: string;
  encryptionKeys: { id: string; key: string }[];
}

export type HerdCommand =
  { type: 'go'; tenantId: string; provider: string; callers: number } | { type: 'stop' };

export interface HerdAnswer {
  waitsMs: number[];
  errors: string[];
}

const config = JSON.parse(process.env.HERD_CONFIG ?? '{}') as HerdWorkerConfig;
const app = await startBenchApp(databaseOptions(config.databaseUrl, { migrate: false }), {
  encryptionKeys: config.encryptionKeys,
});
const tokens = app.get(TokenService);

process.on('message', (command: HerdCommand) => {
  if (command.type === 'stop') {
    void app.close().then(() => process.exit(0));
    return;
  }
  void herd(command.tenantId, command.provider, command.callers).then((answer) => process.send!(answer));
});
process.send!({ ready: true });

async function herd(tenantId: string, provider: string, callers: number): Promise<HerdAnswer> {
  const errors: string[] = [];
  const started = performance.now();
  const waitsMs = await Promise.all(
    Array.from({ length: callers }, async () => {
      try {
        await tokens.getAccessToken(tenantId, provider);
      } catch (error) {
        errors.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      return performance.now() - started;
    }),
  );
  return { waitsMs, errors: errors.slice(0, 3) };
}
