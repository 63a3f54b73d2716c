import type { Config } from './config.js';
import { withAuditKeys } from './platform/audit.js';
import { connect, type DbHandle } from './platform/db/client.js';
import { startEmbeddedPostgres } from './platform/db/embedded.js';
import { expectedMigrationCount, runMigrations } from './platform/db/migrate.js';
import type { AppDeps } from './platform/http/context.js';
import type { Logger } from './platform/log.js';
import { createMetrics } from './platform/metrics.js';
import { RateLimiter } from './platform/rate-limit.js';
import { type ResolvedSecrets, resolveSecrets } from './platform/secrets.js';

export interface Runtime {
  deps: AppDeps;
  handle: DbHandle;
  /** The database the pool is on (the embedded one when DATABASE_URL is unset). */
  databaseUrl: string;
  /** Closes the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/** Opens the database (embedded when DATABASE_URL is unset), migrates, and builds the deps. */
export async function openRuntime(config: Config, log: Logger): Promise<Runtime> {
  const secrets: ResolvedSecrets = resolveSecrets(config, log);
  let url = config.DATABASE_URL;
  let stopEmbedded = async () => {};
  if (!url) {
    const embedded = await startEmbeddedPostgres({
      dataDir: config.DATA_DIR,
      port: config.EMBEDDED_PG_PORT,
      password: secrets.embeddedPgPassword,
      log,
    });
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  try {
    await runMigrations(url);
  } catch (err) {
    await stopEmbedded();
    throw err;
  }
  const handle = connect(url, { max: config.DATABASE_POOL_MAX });
  const deps: AppDeps = {
    config,
    secrets,
    /** Transactions begun from it link audit rows under the audit HMAC key. */
    db: withAuditKeys(handle.db, secrets.auditHmacKeys),
    sql: handle.sql,
    log,
    metrics: createMetrics(),
    rateLimiter: new RateLimiter(handle.db, 'api', {
      kind: 'bucket',
      ratePerSec: config.RATE_LIMIT_RPS,
      burst: config.RATE_LIMIT_BURST,
    }),
    clock: () => new Date(),
    expectedMigrations: expectedMigrationCount(),
  };
  return {
    deps,
    handle,
    databaseUrl: url,
    close: async () => {
      await handle.close();
      await stopEmbedded();
    },
  };
}
