import type postgres from 'postgres';
import type { Config } from '../../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RateLimiter } from '../rate-limit.js';
import type { ResolvedSecrets } from '../secrets.js';

/** Everything a request handler may use; built once per process by main.ts or a test. */
export interface AppDeps {
  config: Config;
  secrets: ResolvedSecrets;
  db: Db;
  sql: postgres.Sql;
  log: Logger;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  /** Time is an input: tests pass a fixed clock. */
  clock: () => Date;
  /** Number of migrations this build ships, for /readyz. */
  expectedMigrations: number;
}

/**
 * What a request carries. The platform sets `deps` and `requestId`; a domain that authenticates
 * requests adds its actor's variables to this interface by module augmentation (as hono's own
 * `ContextVariableMap` is extended), so the platform names no domain's type.
 */
export interface RequestVariables {
  deps: AppDeps;
  requestId: string;
}

export interface AppEnv {
  Variables: RequestVariables;
}
