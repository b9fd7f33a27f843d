import { resolve } from 'node:path';
import { z } from 'zod';

/** Every setting comes from the environment and is validated at start; a bad value names itself. */
const EnvSchema = z.object({
  LEDGER: z.enum(['embedded', 'fabric']).default('embedded'),
  DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  NETWORK_CONFIG: z.string().min(1).default('./config/organisations.json'),
  COLLECTIONS_CONFIG: z.string().min(1).default('./chaincode/collections_config.json'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Block cutting of the embedded orderer (Fabric's BatchTimeout / MaxMessageCount). */
  BATCH_TIMEOUT_MS: z.coerce.number().int().min(0).max(10_000).default(2),
  MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
});

export interface GatewayConfig {
  readonly ledger: 'embedded' | 'fabric';
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly networkConfigPath: string;
  readonly collectionsConfigPath: string;
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  readonly batchTimeoutMs: number;
  readonly maxBatchSize: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    ledger: e.LEDGER,
    dataDir: resolve(e.DATA_DIR),
    port: e.PORT,
    host: e.HOST,
    networkConfigPath: resolve(e.NETWORK_CONFIG),
    collectionsConfigPath: resolve(e.COLLECTIONS_CONFIG),
    logLevel: e.LOG_LEVEL,
    batchTimeoutMs: e.BATCH_TIMEOUT_MS,
    maxBatchSize: e.MAX_BATCH_SIZE,
  };
}
