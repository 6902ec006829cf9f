/**
 * The measuring process of the memory scenario, started fresh so its heap holds nothing but the app:
 * starts the app, takes the RSS after a full GC, serves `served` connections (token fetched from the
 * provider and cached, `concurrency` at a time) and reports the RSS after a full GC at each quarter.
 * Config in env MEMORY_CONFIG (JSON); the answer goes to the parent over IPC.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TokenService } from 'signing-auth';
import { startBenchApp } from './bench-app.js';
import { databaseOptions } from './bench-database.js';

export interface MemoryWorkerConfig {
  databaseUrl: string;
  encryptionKeys: { id: string; key: string }[];
  /** Served tenants are `${tenantPrefix}${i}` for i in 0..served-1. */
  tenantPrefix: string;
  served: number;
  provider: string;
  concurrency: number;
}

export interface MemoryCheckpoint {
  served: number;
  rssMb: number;
  heapUsedMb: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (bytes: number) => bytes / 2 ** 20;

function checkpoint(served: number): MemoryCheckpoint {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { served, rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) };
}

const config = JSON.parse(process.env.MEMORY_CONFIG ?? '{}') as MemoryWorkerConfig;
const app = await startBenchApp(databaseOptions(config.databaseUrl, { migrate: false }), {
  encryptionKeys: config.encryptionKeys,
});
const tokens = app.get(TokenService);
const checkpoints = [checkpoint(0)];
const quarter = Math.ceil(config.served / 4);
let next = 0;
let served = 0;
await Promise.all(
  Array.from({ length: config.concurrency }, async () => {
    while (next < config.served) {
      await tokens.getAccessToken(`${config.tenantPrefix}${next++}`, config.provider);
      served++;
      // Checkpoints stop the world briefly; the other callers simply wait for them.
      if (served % quarter === 0 && served < config.served) checkpoints.push(checkpoint(served));
    }
  }),
);
checkpoints.push(checkpoint(served));
await app.close();
process.send!(checkpoints, () => process.exit(0));
