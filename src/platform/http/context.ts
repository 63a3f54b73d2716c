import type postgres from 'postgres';
import type { Config } from '../../config.js';
import type { ConsoleUser } from '../../console/users.js';
import type { AuthenticatedOperator } from '../../operators/queries.js';
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

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    operator: AuthenticatedOperator;
    /** The console user of a valid session, with that session's CSRF token. */
    user: ConsoleUser;
  };
}
